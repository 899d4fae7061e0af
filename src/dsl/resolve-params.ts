// Arguments against the parameters a rule, effect or handler declares: an argument given twice
// (MM307), one naming no parameter (MM401, with the parameter probably meant), and required
// parameters left out (MM402).
import type * as A from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import { closest } from './suggest.js';
import type { Component, ParamSpec } from '../registry.js';

/** With no component (an unknown name, reported already), only duplicates are reported. */
export function checkParams(
  args: A.Args | undefined,
  component: Component | undefined,
  owner: A.Ident,
  kind: string,
  sink: DiagnosticSink,
): void {
  const declared: readonly ParamSpec[] = component?.params ?? [];
  const entries = args?.entries ?? [];
  // Built only when needed: this runs for every call of a rule, effect or handler.
  const given = entries.length ? new Set<string>() : undefined;
  /** Parameters a misspelt argument was probably meant for: not also "missing". */
  let meant: Set<string> | undefined;
  for (const arg of entries) {
    const name = arg.name.name;
    if (given!.has(name)) sink.error(arg.name.span, Codes.Duplicate, `argument '${name}' is given twice`);
    given!.add(name);
    if (component && !declared.some((p) => p.name === name)) {
      const guess = closest(
        name,
        declared.map((p) => p.name),
      );
      if (guess) (meant ??= new Set()).add(guess);
      const hint = guess
        ? `did you mean '${guess}'?`
        : declared.length
          ? `${kind} '${owner.name}' takes ${declared.map((p) => p.name).join(', ')}`
          : `${kind} '${owner.name}' takes no arguments`;
      sink.error(arg.name.span, Codes.UnknownParam, `${kind} '${owner.name}' has no parameter '${name}'`, hint);
    }
  }
  let missing: string[] | undefined;
  for (const p of declared) {
    if (p.required && p.default === undefined && !given?.has(p.name) && !meant?.has(p.name)) {
      (missing ??= []).push(p.name);
    }
  }
  if (!missing) return;
  const list =
    missing.length === 1
      ? `the argument '${missing[0]}'`
      : `the arguments ${missing
          .slice(0, -1)
          .map((m) => `'${m}'`)
          .join(', ')} and '${missing[missing.length - 1]}'`;
  const kept = (args?.entries ?? []).filter((a) => declared.some((p) => p.name === a.name.name));
  const example = [...kept.map((a) => `${a.name.name}: …`), ...missing.map((m) => `${m}: …`)].join(', ');
  const at = args?.span ?? owner.span;
  sink.error(at, Codes.MissingParam, `${kind} '${owner.name}' needs ${list}`, `write ${owner.name}(${example})`);
}
