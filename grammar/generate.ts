// Writes the two files derived from the grammar and committed beside it:
//   grammar/cst.d.ts       the CST node types the AST builder is typed against;
//   grammar/diagrams.html  railroad diagrams of every rule, for readers of the language.
// A test fails when either is stale. Regenerate with:
//   npm run grammar
import { createSyntaxDiagramsCode, generateCstDts } from './chevrotain.js';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dslParser } from './parser.js';

const HEADER = '// Generated from grammar/parser.ts by grammar/generate.ts: do not edit.\n';

export function cstDts(): string {
  return HEADER + generateCstDts(dslParser.getGAstProductions());
}

export function diagramsHtml(): string {
  return createSyntaxDiagramsCode(dslParser.getSerializedGastProductions());
}

/** grammar/ in the source tree, whether this runs from dist/grammar or grammar/. */
export function grammarSourceDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'grammar')}`) ? join(here, '..', '..', 'grammar') : here;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = grammarSourceDir();
  writeFileSync(join(dir, 'cst.d.ts'), cstDts());
  writeFileSync(join(dir, 'diagrams.html'), diagramsHtml());
  console.log(`wrote ${join(dir, 'cst.d.ts')} and ${join(dir, 'diagrams.html')}`);
}
