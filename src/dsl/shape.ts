// The shape of a whole file, checked after either parser: exactly one chain or pipeline,
// after every definition (MM203), and none over the size limit (MM205).
import { MAX_LINKS } from '../../grammar/limits.js';
import type * as A from './ast.js';
import { nestedRuns } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';

/** MM203: exactly one chain or pipeline, after every definition. */
export function checkShape(ast: A.FileAst, sink: DiagnosticSink, hadSyntaxErrors: boolean): void {
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
