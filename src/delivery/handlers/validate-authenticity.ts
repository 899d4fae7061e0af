// ARC verification of incoming posts, when [ARC] enabled: DKIM, the ARC chain and DMARC are
// checked as the post arrived (before anything in the pipeline changes it) and recorded in a
// fresh Authentication-Results header under [ARC] authserv_id. One that already claims our
// authserv-id did not come from us and is dropped (RFC 8601 section 5). The verdict rides in
// msgdata for the seal each copy gets as it leaves.
import { defineHandler } from '../../registry.js';
import { arcSettings, verify } from '../authenticity.js';

/** The authserv-id an Authentication-Results line names (its first token). */
function authservIdOf(line: string): string {
  return line
    .replace(/^[^:]*:\s*/, '')
    .split(/[;\s]/)[0]
    .toLowerCase();
}

export default defineHandler({
  name: 'validate-authenticity',
  description: 'Verify DKIM, DMARC and ARC and record an Authentication-Results header, when [ARC] enabled is on.',
  async process({ msg, msgdata, services }) {
    const settings = arcSettings(services.config);
    if (!settings) return;
    const verdict = await verify(msg.toBuffer(), settings, services.dns.resolve);
    const ours = settings.authservId.toLowerCase();
    const kept = msg.rawLines('authentication-results').filter((l) => authservIdOf(l) !== ours);
    if (kept.length !== msg.rawLines('authentication-results').length) {
      msg.remove('Authentication-Results');
      msg.addRawLines('Authentication-Results', kept);
    }
    msg.prependRawLine('Authentication-Results', `Authentication-Results: ${verdict.results}`);
    msgdata.arc_verdict = { results: verdict.results, cv: verdict.cv };
  },
});
