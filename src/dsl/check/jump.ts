// The check of a `jump to VALUE` / `detour to VALUE`: the value must name a chain or an
// action (MM407).
import type * as A from '../ast.js';
import { pathText } from '../ast.js';
import { Codes, type DiagnosticSink } from '../diagnostics.js';
import type { Resolution } from '../resolve.js';
import { describeType, isList, type Ty } from '../types.js';
import { typeOf } from './type-of.js';

/** The value's type when it may be jumped to; undefined (after MM407) when it may not. */
export function checkJumpValue(p: A.Path, op: string, res: Resolution, sink: DiagnosticSink): Ty | undefined {
  const t = typeOf(p, res);
  if (!res.paths.has(p)) return undefined; // unknown: reported by resolve
  if (isList(t) || !['action', 'disposition', 'chain', 'unknown'].includes(t)) {
    const what = pathText(p);
    sink.error(
      p.span,
      Codes.BadTarget,
      `'${op} to ${what}' needs an action or a chain name, but '${what}' is ${describeType(t)}`,
      `'${op} to' takes a value such as msgdata.member_moderation_action or site.antispam.jump_chain; ` +
        `to name a chain, write '${op} NAME'`,
    );
    return undefined;
  }
  return t;
}
