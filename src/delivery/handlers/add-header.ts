// A header the list adds to every post that reaches this step: `add-header(name: "X-Policy",
// value: "members only")`. The name and value are checked when the pipeline compiles; a value
// read from a list setting is checked again here, and a bad one fails the post (shunted, with
// the reason) rather than reach the members malformed.
import { defineHandler } from '../../registry.js';
import { addableHeaderProblem, headerValueProblem } from '../../email/header-edits.js';

const text = (v: string | string[]) => (Array.isArray(v) ? v.join(', ') : v);

export default defineHandler({
  name: 'add-header',
  description: 'Add a header to the post (after any of the same name); the name and value are checked.',
  params: [
    {
      name: 'name',
      type: 'string',
      required: true,
      description: 'the header name, e.g. "X-Policy"',
      check: (v) => addableHeaderProblem(text(v)),
    },
    {
      name: 'value',
      type: 'string',
      required: true,
      description: 'its value, one line',
      check: (v) => headerValueProblem(text(v)),
    },
  ],
  process({ msg }, args) {
    const name = String(args.name ?? '');
    const value = String(args.value ?? '');
    const why = addableHeaderProblem(name) ?? headerValueProblem(value);
    if (why) throw new Error(`add-header: ${why}`);
    msg.add(name, value);
  },
});
