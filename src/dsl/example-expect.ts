// The `expect:` line of an example: a disposition for a chain, a fact about the message for a
// pipeline (docs/language.md#examples).
import { didYouMean } from './suggest.js';
import {
  codePoints,
  DISPOSITIONS,
  type ExampleAt,
  type ExampleExpect,
  HEADER_NAME,
  ParseError,
  PIPELINE_ENDS,
  quoted,
} from './example-syntax.js';

export function parseExpect(value: string, at: ExampleAt, kind: 'chain' | 'pipeline'): ExampleExpect {
  const word = /^\S*/.exec(value)![0];
  const rest = value.slice(word.length).trim();
  const restColumn = at.column + codePoints(value) - codePoints(rest);
  if (kind === 'chain') {
    if (!(DISPOSITIONS as readonly string[]).includes(word))
      throw new ParseError(
        at.column,
        `expected accept, hold, reject, discard or none after 'expect:', found '${word}'`,
        didYouMean(word, DISPOSITIONS),
      );
    const d = word as (typeof DISPOSITIONS)[number];
    if (!rest) return { ...at, kind: 'disposition', disposition: d };
    const q = quoted(rest, restColumn);
    if (q.rest) throw new ParseError(restColumn, `unexpected '${q.rest}' after the reason`);
    return { ...at, kind: 'disposition', disposition: d, reason: q.value };
  }
  if ((PIPELINE_ENDS as readonly string[]).includes(word) && !rest)
    return { ...at, kind: 'ends', how: word as (typeof PIPELINE_ENDS)[number] };
  if (word === 'part' || (word === 'no' && rest.startsWith('part '))) {
    const type = (word === 'part' ? rest : rest.slice('part '.length)).trim().toLowerCase();
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(type)) throw new ParseError(restColumn, `expected a MIME type, found '${type}'`);
    return { ...at, kind: 'part', type, present: word === 'part' };
  }
  if (word === 'header' || word === 'no') {
    let text = rest;
    if (word === 'no') {
      if (!rest.startsWith('header ')) throw new ParseError(restColumn, `expected 'no header NAME' or 'no part TYPE'`);
      text = rest.slice('header '.length).trim();
    }
    const colon = text.indexOf(':');
    const name = (colon < 0 ? text : text.slice(0, colon)).trim();
    if (!HEADER_NAME.test(name)) throw new ParseError(restColumn, `expected a header name, found '${name}'`);
    if (word === 'no') {
      if (colon >= 0) throw new ParseError(restColumn, `'no header' takes a name only`);
      return { ...at, kind: 'no-header', header: name };
    }
    return colon < 0
      ? { ...at, kind: 'header', header: name }
      : { ...at, kind: 'header', header: name, value: text.slice(colon + 1).trim() };
  }
  if (word === 'recipients') {
    const addresses = rest === 'none' ? [] : rest.split(/[\s,]+/).filter(Boolean);
    if (!rest) throw new ParseError(restColumn, "expected addresses (or 'none') after 'recipients'");
    return { ...at, kind: 'recipients', addresses: addresses.map((a) => a.toLowerCase()) };
  }
  throw new ParseError(
    at.column,
    `expected 'header NAME: VALUE', 'no header NAME', 'recipients ADDRESS…', 'part TYPE', 'no part TYPE', ` +
      `discard or reject after 'expect:' ` +
      `in a pipeline's examples, found '${word}'`,
    didYouMean(word, ['header', 'no', 'part', 'recipients', ...PIPELINE_ENDS]),
  );
}
