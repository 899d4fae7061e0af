// The shape of a whole file, checked after either parser: exactly one chain or pipeline,
// after every definition (MM203), and none over the size limit (MM205).
import { MAX_LINKS } from '../../grammar/limits.js';
import type * as A from './ast.js';
import { nestedRuns } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';

/** Whether a file is a shared definitions file (NAME.rules): definitions only. */
export function isRulesFile(file: string): boolean {
  return file.endsWith('.rules');
}

/**
 * MM203: `use` declarations first, then definitions, then exactly one chain or pipeline (none
 * in a .rules file).
 */
export function checkShape(ast: A.FileAst, sink: DiagnosticSink, hadSyntaxErrors: boolean): void {
  const firstItem = ast.items[0];
  for (const use of ast.uses) {
    if (firstItem && use.span.start > firstItem.span.start) {
      sink.error(
        use.span,
        Codes.NotOneDeclaration,
        `'use' comes after a definition or declaration`,
        "put every 'use' at the top of the file, before 'let', 'rule', 'chain' and 'pipeline'",
      );
    }
  }
  if (isRulesFile(ast.file)) {
    for (const d of ast.declarations) {
      sink.error(
        d.name.span,
        Codes.NotOneDeclaration,
        `a ${d.kind === 'Chain' ? 'chain' : 'pipeline'} in a .rules file`,
        `a .rules file holds only 'use', 'let' and 'rule'; ` +
          `move '${d.name.name}' to ${d.name.name}.${d.kind.toLowerCase()}`,
      );
    }
    return;
  }
  const [first, ...extra] = ast.declarations;
  if (!first) {
    if (!hadSyntaxErrors) {
      sink.error(
        { start: 0, end: 1 },
        Codes.NotOneDeclaration,
        'the file declares no chain or pipeline',
        "a file ends with one 'chain NAME { … }' or 'pipeline NAME { … }'",
      );
    }
    return;
  }
  for (const d of ast.declarations) {
    const count = d.kind === 'Pipeline' ? d.steps.length : countLinks(d.links);
    if (count > MAX_LINKS) {
      const what = d.kind === 'Pipeline' ? 'steps' : 'links';
      sink.error(
        d.name.span,
        Codes.TooLarge,
        `${d.kind.toLowerCase()} '${d.name.name}' has ${count} ${what}; the limit is ${MAX_LINKS}`,
        'split it into several chains joined by jump or detour',
      );
    }
  }
  for (const d of extra) {
    sink.error(
      d.name.span,
      Codes.NotOneDeclaration,
      `a second ${d.kind === 'Chain' ? 'chain' : 'pipeline'} '${d.name.name}' in one file`,
      'put each chain or pipeline in its own file, named after it',
    );
  }
  for (const def of ast.definitions) {
    if (def.span.start > first.span.start) {
      sink.error(
        def.name.span,
        Codes.NotOneDeclaration,
        `'${def.name.name}' is defined after the ${first.kind === 'Chain' ? 'chain' : 'pipeline'}`,
        "move 'let' and 'rule' definitions before it",
      );
    }
  }
}

/** Links of a chain, those inside `for` blocks included; without recursion. */
function countLinks(links: readonly A.Link[]): number {
  let n = 0;
  const todo: (readonly A.Link[])[] = [links];
  for (let run = todo.pop(); run; run = todo.pop()) {
    n += run.length;
    for (const l of run) todo.push(...nestedRuns(l));
  }
  return n;
}
