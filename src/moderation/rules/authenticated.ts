// Whether the post's authentication checks pass, for chains that trust signed mail more:
// `if authenticated(by: "dmarc") then accept`, `if not authenticated(by: "dkim", aligned: true)
// then hold`. DKIM, ARC and DMARC are verified by mailauth on the message as received, through
// the process's resolver ([dns] nameservers), once per post however many links ask. DKIM
// passes when any signature verifies (and, with `aligned`, its domain aligns with From:).
import { defineRule, type MessageContext } from '../../registry.js';
import { authenticityOf, type Authenticity } from '../../delivery/authenticity.js';
import { lookupOnce } from '../../dsl/index.js';

const METHODS = ['dkim', 'arc', 'dmarc'];

const assessed = (ctx: MessageContext): Promise<Authenticity> =>
  lookupOnce(ctx, 'authenticity', () => authenticityOf(ctx.msg.toBuffer(), ctx.services.dns.resolve));

export default defineRule({
  name: 'authenticated',
  description: 'The post passes DKIM, ARC or DMARC (`by`), as verified on arrival through mailauth.',
  record: true,
  params: [
    {
      name: 'by',
      type: 'string',
      required: true,
      description: 'dkim, arc or dmarc',
      check: (v) => (typeof v === 'string' && METHODS.includes(v) ? undefined : `by is one of ${METHODS.join(', ')}`),
    },
    { name: 'aligned', type: 'bool', default: false, description: "with dkim: the signer's domain aligns with From:" },
  ],
  async check(ctx, args) {
    const by = String(args.by ?? '');
    let found: Authenticity;
    try {
      found = await assessed(ctx);
    } catch {
      return { hit: false };
    }
    if (by === 'dkim') {
      const pass = found.dkim.find((s) => s.result === 'pass' && (!args.aligned || s.aligned));
      return pass ? { hit: true, reasons: [`DKIM signature of ${pass.domain} passes`] } : { hit: false };
    }
    const result = by === 'arc' ? found.arc : by === 'dmarc' ? found.dmarc : 'none';
    return result === 'pass' ? { hit: true, reasons: [`${by.toUpperCase()} passes`] } : { hit: false };
  },
});
