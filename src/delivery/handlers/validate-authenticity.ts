// ARC verification of incoming posts (DKIM, DMARC and ARC results in a fresh
// Authentication-Results header). ARC is off unless [ARC] enabled; the verifier is not
// written yet, so a site that turns it on gets a clear failure instead of silently
// unverified mail.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'validate-authenticity',
  description: 'Verify DKIM, DMARC and ARC and record an Authentication-Results header, when [ARC] enabled is on.',
  process({ services }) {
    if (!services.config.bool('ARC', 'enabled')) return;
    throw new Error('validate-authenticity: ARC verification is not implemented yet; set [ARC] enabled: no');
  },
});
