// What the language's REST resources (/chains, /pipelines, /rules) answer alike: a
// diagnostic as JSON, a 400 carrying the compiler's findings, and the bound on a name that
// becomes a file name in the site directory.
import type { Diagnostic } from '../dsl/index.js';
import { badRequest } from './errors.js';
import type { Resource } from './helpers.js';
import type { RestContext } from './context.js';

/** A name becomes a file name (NAME.chain, NAME.rules, and their last-good copies): well under 255 bytes. */
export const MAX_NAME_LENGTH = 100;

/** Refuses a name over the bound or not matching `pattern` (which keeps it a plain file name). */
export function checkName(what: string, name: string, pattern: RegExp): void {
  if (name.length > MAX_NAME_LENGTH)
    throw badRequest(`Invalid ${what} name: longer than ${MAX_NAME_LENGTH} characters`);
  if (!pattern.test(name)) throw badRequest(`Invalid ${what} name: ${name}`);
}

/** A diagnostic in formatDiagnostic's JSON form, with every key present. */
export function diagnosticJson(d: Diagnostic): Resource {
  return {
    file: d.file,
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
    severity: d.severity,
    code: d.code,
    message: d.message,
    hint: d.hint ?? null,
  };
}

/** A one-line summary of the errors for a 400's description. */
export function firstError(what: string, diagnostics: Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return (
    `${what}: ${errors.length} error${errors.length === 1 ? '' : 's'}, first: ` +
    `${errors[0].code} ${errors[0].message} (line ${errors[0].line})`
  );
}

/** 400 with the compiler's findings beside Mailman's title and description. */
export function refuse(ctx: RestContext, description: string, diagnostics: Diagnostic[]): void {
  ctx.status = 400;
  ctx.body = { title: '400 Bad Request', description, diagnostics: diagnostics.map(diagnosticJson) };
}
