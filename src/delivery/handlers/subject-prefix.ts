// Puts the list's subject_prefix in front of the subject exactly once: an existing copy is
// removed first, and any run of reply markers (Re:, Aw:, Sv:, Vs:, Re[2]:) collapses into
// one "Re: " after the prefix, so threads do not grow "[List] Re: [List] Re: ...".
import { defineHandler } from '../../registry.js';

const REPLY_MARKERS = /^(\s*(re|aw|sv|vs)\s*(\[\d+\])?\s*:\s*)+/i;

export function prefixPattern(prefix: string): RegExp {
  const escaped = prefix
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%d/g, '\\s*\\d+\\s*');
  return new RegExp(`${escaped}\\s*`, 'gi');
}

export function prefixSubject(subject: string, prefix: string, postId: number): { subject: string; stripped: string } {
  let text = subject.replace(prefixPattern(prefix), '');
  const stripped = text;
  let recolon = '';
  const re = REPLY_MARKERS.exec(text);
  if (re) {
    text = text.slice(re[0].length);
    recolon = 'Re: ';
  }
  if (text.trim() === '') text = '(no subject)';
  const shown = prefix.replace(/%d/g, String(postId));
  return { subject: `${shown}${recolon}${text}`, stripped };
}

export default defineHandler({
  name: 'subject-prefix',
  description: "Prefix the Subject with the list's subject_prefix, once, keeping a single Re:.",
  process({ mlist, msg, msgdata }) {
    if (msgdata.isdigest || msgdata._fasttrack) return;
    const prefix = mlist.subject_prefix ?? '';
    if (prefix.trim() === '') return;
    const original = msg.get('subject') ?? '';
    msgdata.original_subject = original;
    const { subject, stripped } = prefixSubject(original, prefix, mlist.post_id);
    msgdata.stripped_subject = stripped;
    msg.set('Subject', subject);
  },
});
