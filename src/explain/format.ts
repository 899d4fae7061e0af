// The text form of an explain trace, as `mailman explain` prints it.
import type { ExplainTrace } from './trace.js';

/** Runs of blanks made one, outside string literals: the file's alignment, not its meaning. */
function squeeze(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|\s{2,}/g, (m, str: string | undefined) => str ?? ' ');
}

function valueJson(x: unknown): string {
  return JSON.stringify(x);
}

/** The trace as `mailman explain` prints it: one line per link, then the decision. */
export function formatExplain(t: ExplainTrace): string {
  const out: string[] = [];
  out.push(`list: ${t.list_id}  message: ${t.message_id ?? '(none)'}  sender: ${t.sender ?? '(none)'}`);
  out.push(`chain: ${t.chain}`);
  const where = t.links.map((l) => `${l.chain}:${l.at}`);
  const text = t.links.map((l) =>
    l.source_text ? squeeze(l.source_text) : l.condition === 'always' ? l.action : `if ${l.condition} then ${l.action}`,
  );
  const w1 = Math.max(0, ...where.map((s) => s.length));
  const w2 = Math.max(0, ...text.map((s) => s.length));
  t.links.forEach((l, i) => {
    let outcome = l.condition === 'always' ? 'taken' : l.taken ? 'hit' : 'miss';
    if (l.branch) outcome += `, ${l.branch} ${l.action}`;
    if (l.target !== undefined) outcome += `, to ${l.target}`;
    if (l.effect) outcome += ' (effect not run)';
    out.push(`${where[i].padEnd(w1)}  ${text[i].padEnd(w2)}  -> ${outcome}`);
    const detail =
      l.rules.length > 1 || l.tests.length > 0 || l.not_evaluated || l.rules.some((r) => r.reasons || r.args);
    if (detail) {
      for (const r of l.rules) {
        out.push(
          `    rule ${r.name}${
            r.args
              ? `(${Object.entries(r.args)
                  .map(([k, v]) => `${k}: ${valueJson(v)}`)
                  .join(', ')})`
              : ''
          }: ${r.hit ? 'hit' : 'miss'}${r.reasons ? ` (${r.reasons.join('; ')})` : ''}`,
        );
      }
      for (const x of l.tests) {
        out.push(
          `    ${x.test}: read ` +
            `${valueJson(x.left)}${x.right !== undefined ? ` against ${valueJson(x.right)}` : ''} -> ` +
            `${x.hit ? 'true' : 'false'}`,
        );
      }
      for (const skipped of l.not_evaluated ?? []) out.push(`    ${skipped}: not evaluated (already decided)`);
    }
  });
  if (t.error) out.push(`error: ${t.error}`);
  out.push(
    `decision: ` +
      `${t.disposition}${t.stopped_in && t.stopped_in !== t.disposition ? ` (stopped in ${t.stopped_in})` : ''}`,
  );
  out.push(`reasons: ${t.reasons.length ? t.reasons.join('; ') : '(none)'}`);
  out.push(`rule hits: ${t.rule_hits.length ? t.rule_hits.join('; ') : '(none)'}`);
  out.push(`rule misses: ${t.rule_misses.length ? t.rule_misses.join('; ') : '(none)'}`);
  for (const [k, v] of Object.entries(t.headers_added)) out.push(`header: ${k}: ${v}`);
  for (const e of t.effects) out.push(e);
  if (t.pipeline) {
    out.push(`pipeline: ${t.pipeline.name}${t.pipeline.error ? ` (${t.pipeline.error})` : ''}`);
    for (const s of t.pipeline.steps)
      out.push(`    ${s.at.padEnd(6)} ${s.handler}${s.when ? ` when ${s.when}` : ''}${s.runs ? '' : '  (skipped)'}`);
  }
  return out.join('\n') + '\n';
}
