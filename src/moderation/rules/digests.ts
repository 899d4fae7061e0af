// A digest sent back to the list, whole or quoted. Off unless [mailman] hold_digest is yes.
// It hits on a digest Subject (`... Digest, Vol N, Issue N` at the end), or when the text
// parts carry at least MASTHEAD_THRESHOLD lines of the digest masthead.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';

/** Mailman's [mailman] masthead_threshold default. */
export const MASTHEAD_THRESHOLD = 4;

/**
 * The masthead our digests open with (the list:member:digest:masthead template), with its
 * placeholders unexpanded as Mailman compares them. Until templates are stored per list,
 * this is the one text the digest builder and this rule share.
 */
export const DIGEST_MASTHEAD = [
  'Submissions for the $display_name list go to',
  '\t$listname',
  '',
  'To join or leave the list, or for help, write to',
  '\t$request_email',
  'with the word "help" as the subject or body.',
  '',
  'The people who run the list can be reached at',
  '\t$owner_email',
  '',
  'Please give replies a more specific Subject than',
  '"Re: $display_name digest, Vol ..."',
].join('\n');

const DIGEST_SUBJECT = /\s*Digest, Vol \d+, Issue \d+$/;

export default defineRule({
  name: 'digests',
  description: 'The message is (or quotes) a list digest; only when [mailman] hold_digest is yes.',
  record: true,
  check(ctx) {
    const { msg, services } = ctx;
    if (!services.config?.bool('mailman', 'hold_digest')) return { hit: false };
    const sender = { moderation_sender: senders(ctx)[0] ?? 'N/A' };
    if (DIGEST_SUBJECT.test(msg.get('subject') ?? ''))
      return { hit: true, reasons: ['Message has a digest subject'], msgdata: sender };
    const text = [...msg.mime().walk()]
      .filter((p) => p.type.startsWith('text/') && !p.isContainer)
      .map((p) => p.decodedText())
      .join('');
    let matches = 0;
    for (const line of DIGEST_MASTHEAD.split('\n')) {
      const l = line.trim();
      if (l && text.includes(l)) matches++;
    }
    if (matches < MASTHEAD_THRESHOLD) return { hit: false };
    return { hit: true, reasons: ['Message quotes digest boilerplate'], msgdata: sender };
  },
});
