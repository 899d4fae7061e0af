// STAND-IN, replaced at merge by the rules branch's file at this path: searches one header for
// a pattern, ignoring case, and records as `header-match-SUFFIX` (dsl.md §5.4).
import { registry } from '../../registry.js';

registry.rules.register({
  name: 'header-match',
  description: 'The header matches the pattern (recorded as header-match-SUFFIX).',
  record: true,
  params: [
    { name: 'header', type: 'string', required: true },
    { name: 'pattern', type: 'string', required: true },
    { name: 'suffix', type: 'string', required: true },
  ],
  check(ctx, args) {
    const recordAs = `header-match-${String(args.suffix)}`;
    let re: RegExp;
    try {
      re = new RegExp(String(args.pattern).replace(/\(\?P</g, '(?<'), 'i');
    } catch {
      return { hit: false, recordAs }; // a bad pattern misses
    }
    const hit = ctx.msg.getAll(String(args.header)).some((v) => re.test(v));
    return { hit, recordAs };
  },
});
