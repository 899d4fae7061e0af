// The flow checks of a chain's links: a link after one that always ends the chain is never
// reached (MM502), and a `defer` with no recorded rule before it does nothing (MM504).
import type * as A from '../ast.js';
import { Codes, type DiagnosticSink } from '../diagnostics.js';
import type { Resolution } from '../resolve.js';
import { neverDefers } from './type-of.js';

/** The first line of a link, for carets that do not run over a whole block. */
function head(link: A.Link): A.Node {
  if (link.kind === 'For') return { span: { start: link.span.start, end: link.source.span.end } };
  if (link.kind === 'If' && link.action.kind === 'Block') {
    return { span: { start: link.span.start, end: link.action.span.start + 1 } };
  }
  return link;
}

/** MM502 for the first of a run of links after `ended`, whose line is `endedLine`. */
export function checkUnreachable(link: A.Link, endedLine: string, sink: DiagnosticSink): void {
  sink.warning(
    head(link).span,
    Codes.Unreachable,
    'this link is never reached',
    `the link at line ${endedLine} always ends the chain; move this one above it, or remove it`,
  );
}

/** Whether an unknown action word (MM202 already) stands in the link: not also called unreachable. */
export function isUnknownAction(link: A.Link): boolean {
  return link.kind === 'Do' && link.action.kind === 'UnknownAction';
}

/** A link that never continues with the next link: unconditional, or with both branches ending. */
export function endsChain(link: A.Link, res: Resolution): boolean {
  if (link.kind === 'For') return false;
  if (link.kind === 'If' && !isAlwaysTrue(link.condition)) {
    return link.otherwise !== undefined && actionEnds(link.action, res) && actionEnds(link.otherwise, res);
  }
  return actionEnds(link.action, res);
}

function actionEnds(a: A.Action, res: Resolution): boolean {
  switch (a.kind) {
    case 'Accept':
    case 'Hold':
    case 'Reject':
    case 'Discard':
    case 'Stop':
      return true;
    case 'Jump':
      if (a.target.kind === 'NamedTarget') return true;
      return neverDefers(a.target.path, res) && (!a.target.otherwise || neverDefers(a.target.otherwise, res));
    case 'Block':
      return a.links.some((l) => endsChain(l, res));
    default:
      return false;
  }
}

function isAlwaysTrue(c: A.Condition): boolean {
  return c.kind === 'Test' && !c.predicate && c.operand.kind === 'Bool' && c.operand.value;
}

/**
 * MM504: `defer` unconditionally, or after a condition that records no rule, or as an `else`:
 * when the condition fails the chain goes on with the next link anyway, and the condition's
 * rules have recorded whatever they record, so `else defer` never changes an outcome.
 */
export function checkDefer(link: A.IfLink | A.DoLink, res: Resolution, sink: DiagnosticSink): void {
  if (link.kind === 'If' && link.otherwise?.kind === 'Defer') {
    sink.warning(
      link.otherwise.span,
      Codes.DeferRecordsNothing,
      "'else defer' does nothing: when the condition does not hold the chain goes on with the next link anyway",
      "remove 'else defer'",
    );
  }
  if (link.action.kind !== 'Defer') return;
  if (link.kind === 'Do') {
    sink.warning(
      link.action.span,
      Codes.DeferRecordsNothing,
      "an unconditional 'defer' does nothing",
      'remove it, or put it after a rule: if RULE then defer',
    );
  } else if (!records(link.condition, res)) {
    sink.warning(
      link.action.span,
      Codes.DeferRecordsNothing,
      "'defer' here does nothing: the condition records no rule",
      "'defer' only makes sense after a rule that records its hit, for a later 'if any'",
    );
  }
}

/** Whether evaluating the condition may record a rule (so a `defer` after it has a use). */
function records(c: A.Condition, res: Resolution): boolean {
  switch (c.kind) {
    case 'Or':
    case 'And':
      return c.operands.some((o) => records(o, res));
    case 'Not':
      return records(c.operand, res);
    case 'Test': {
      if (c.predicate || c.operand.kind !== 'Ref') return false;
      const b = res.paths.get(c.operand.path);
      if (!b) return true; // unknown: reported already; do not pile a warning on it
      return b.kind === 'local-rule' || (b.kind === 'rule' && b.rule.record);
    }
  }
}
