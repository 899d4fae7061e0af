// A list rewrites Subject, adds headers and a footer, so the poster's DKIM signature will no
// longer verify; sites that prefer no signature to a broken one set [mta] remove_dkim_headers.
import { defineHandler } from '../../registry.js';

const SIGNATURE_HEADERS = ['DomainKey-Signature', 'DKIM-Signature', 'Authentication-Results'];

export default defineHandler({
  name: 'cleanse-dkim',
  description:
    'Remove DKIM-Signature, DomainKey-Signature and Authentication-Results when [mta] remove_dkim_headers is on.',
  process({ msg, services }) {
    if (!services.config.bool('mta', 'remove_dkim_headers')) return;
    for (const h of SIGNATURE_HEADERS) msg.remove(h);
  },
});
