// Takes every occurrence of a header off the post: `remove-header(name: "X-Spam-Report")`.
// The headers every message needs and those that describe its MIME structure are refused
// when the pipeline compiles.
import { defineHandler } from '../../registry.js';
import { removableHeaderProblem } from '../../email/header-edits.js';

const text = (v: string | string[]) => (Array.isArray(v) ? v.join(', ') : v);

export default defineHandler({
  name: 'remove-header',
  description: 'Remove every occurrence of a header from the post.',
  params: [
    {
      name: 'name',
      type: 'string',
      required: true,
      description: 'the header name, e.g. "X-Spam-Report"',
      check: (v) => removableHeaderProblem(text(v)),
    },
  ],
  process({ msg }, args) {
    const name = String(args.name ?? '');
    const why = removableHeaderProblem(name);
    if (why) throw new Error(`remove-header: ${why}`);
    msg.remove(name);
  },
});
