// What a pipeline's add-header and remove-header may touch. A header an admin names is checked
// when the pipeline is compiled, so a typo or a header that would break the message is a
// diagnostic, not a shunted post: a field name is printable ASCII without a colon (RFC 5322
// 2.2), a value one line of bounded length (no CR or LF: nothing may add a header line), and
// the headers a message carries at most once, or that describe its MIME structure, are left
// to the handlers that own them.

/** RFC 5322 3.6: at most one of each; a second would make the message invalid. */
const SINGLE = [
  'date',
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'message-id',
  'in-reply-to',
  'references',
  'subject',
];
/** The MIME structure: removing or doubling one makes the body unreadable. */
const STRUCTURE = ['mime-version', 'content-type', 'content-transfer-encoding'];

const MAX_NAME = 76;
/** RFC 5322 2.1.1: a line is at most 998 characters; the name and ": " take some of it. */
export const MAX_HEADER_VALUE = 900;

function nameProblem(name: string): string | undefined {
  if (!name || name.length > MAX_NAME || !/^[!-9;-~]+$/.test(name))
    return `"${name.slice(0, MAX_NAME)}" is not a header name (letters, digits and -, at most ${MAX_NAME})`;
  return undefined;
}

/** Why add-header may not add this header, or undefined. */
export function addableHeaderProblem(name: string): string | undefined {
  const bad = nameProblem(name);
  if (bad) return bad;
  const key = name.toLowerCase();
  if (SINGLE.includes(key)) return `a message has at most one ${name}; the handlers that own it set it`;
  if (STRUCTURE.includes(key)) return `${name} describes the MIME structure; it is not added by hand`;
  return undefined;
}

/** Why remove-header may not remove this header, or undefined. */
export function removableHeaderProblem(name: string): string | undefined {
  const bad = nameProblem(name);
  if (bad) return bad;
  if (STRUCTURE.includes(name.toLowerCase()))
    return `${name} describes the MIME structure; removing it breaks the body`;
  if (['from', 'date', 'message-id'].includes(name.toLowerCase())) return `every message needs its ${name}`;
  return undefined;
}

/** Why a header value may not be used, or undefined. */
export function headerValueProblem(value: string): string | undefined {
  if (/[\r\n\0]/.test(value)) return 'a header value is one line (no line breaks)';
  if (value.length > MAX_HEADER_VALUE) return `a header value is at most ${MAX_HEADER_VALUE} characters`;
  return undefined;
}
