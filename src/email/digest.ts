// The two digests of one issue, built from the posts the list collected: a MIME digest
// (multipart/mixed: masthead, header, table of contents, the posts whole in a
// multipart/digest, footer) and a plain-text digest laid out as RFC 1153 describes (the
// same sections as text, each post reduced to a few headers and its text).
import { Message, encodeHeaderValue, makeMessageId } from './message.js';
import { parseMime } from './mime-tree.js';
import { isEightBit, messagePart, multipartBody, newBoundary, textPart } from './new-part.js';

const NL = '\r\n';
/** Text a post contributes to the plain digest at most; a longer one is cut with a note. */
const MAX_PLAIN_TEXT = 256 * 1024;
const TOC_WIDTH = 65;

export interface DigestIssue {
  displayName: string;
  volume: number;
  number: number;
  /** The list's -request address (From) and posting address (To, Reply-To). */
  requestAddress: string;
  postingAddress: string;
  mailHost: string;
  /** Taken off the front of each subject in the table of contents. */
  subjectPrefix: string;
  posts: Message[];
  /** Posts the mailbox held beyond what was read (a bounded read left them out). */
  truncated?: boolean;
  /** The headers a post keeps in the plain digest, in order; "Message" is its number. */
  plainKeepHeaders?: readonly string[];
  /** The headers a post keeps in the MIME digest (its Content-* always); absent or empty: all. */
  mimeKeepHeaders?: readonly string[];
}

/** [digests] plain_digest_keep_headers as Mailman sets it. */
const PLAIN_KEEP_HEADERS = ['Message', 'Date', 'From', 'Subject', 'To', 'Cc', 'Message-ID', 'Keywords', 'Content-Type'];

/** The masthead, header and footer, already expanded; '' leaves a section out. */
export interface DigestTexts {
  masthead: string;
  header: string;
  footer: string;
}

export function digestSubject(displayName: string, volume: number, number: number): string {
  return `${displayName} Digest, Vol ${volume}, Issue ${number}`;
}

/** Words to lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

/** The subject as the table of contents shows it: the list's prefix (after any Re:) taken off. */
function tocSubject(post: Message, prefix: string): string {
  const subject = (post.get('subject') ?? '').slice(0, 500) || '(no subject)';
  const p = prefix.trim();
  if (!p) return subject;
  const m = /^(re:? *)?/i.exec(subject)!;
  const rest = subject.slice(m[0].length);
  return rest.toLowerCase().startsWith(p.toLowerCase()) ? `${m[0]}${rest.slice(p.length).trimStart()}` : subject;
}

function poster(post: Message): string {
  const from = post.addresses('from')[0];
  const who = (from?.name || from?.email || '').slice(0, 200);
  return who ? ` (${who})` : '';
}

/** "Today's Topics:" and a numbered line (or a few) per post. */
export function tableOfContents(issue: DigestIssue): string {
  const out = ["Today's Topics:", ''];
  issue.posts.forEach((post, i) => {
    const lines = wrap(`${i + 1}. ${tocSubject(post, issue.subjectPrefix)}`, TOC_WIDTH);
    // The number right-aligned in two columns, as RFC 1153 digests show it.
    if (i < 9) lines[0] = ` ${lines[0]}`;
    const who = poster(post);
    if (lines[lines.length - 1].length + who.length > 70) lines.push(who.trim());
    else lines[lines.length - 1] += who;
    lines.forEach((line, n) => out.push(n === 0 ? `  ${line}` : `      ${line}`));
  });
  if (issue.truncated) out.push('', '  (More posts were collected than one digest carries; the rest are left out.)');
  return out.join('\n');
}

/** The digest's own header fields, each line ended; its body's Content-* fields follow. */
function topHeaders(issue: DigestIssue): string {
  const subject = digestSubject(issue.displayName, issue.volume, issue.number);
  const fields: [string, string][] = [
    ['From', issue.requestAddress],
    ['To', issue.postingAddress],
    ['Reply-To', issue.postingAddress],
    ['Subject', subject],
    ['Date', new Date().toUTCString().replace(/GMT$/, '+0000')],
    ['Message-ID', makeMessageId(issue.mailHost)],
    ['MIME-Version', '1.0'],
  ];
  return fields.map(([k, v]) => `${k}: ${encodeHeaderValue(k, v)}${NL}`).join('');
}

/** A text part with a Content-Description, as each section of the MIME digest is. */
function describedText(text: string, description: string): Buffer {
  const head = `Content-Description: ${encodeHeaderValue('content-description', description)}${NL}`;
  return Buffer.concat([Buffer.from(head, 'latin1'), textPart(text, NL)]);
}

/**
 * A post as the MIME digest carries it: its body untouched, its header block cut to the
 * kept headers. The Content-* headers stay whatever the list says, since the body cannot be
 * read without them (a filename, a charset, an encoding would be lost).
 */
function keptForMime(post: Message, keep: readonly string[] | undefined): Buffer {
  if (!keep?.length) return post.toBuffer();
  const wanted = new Set(keep.map((h) => h.toLowerCase()));
  const copy = new Message(post.toBuffer());
  for (const name of new Set(copy.names())) {
    if (!wanted.has(name) && !name.startsWith('content-')) copy.remove(name);
  }
  return copy.toBuffer();
}

export function mimeDigest(issue: DigestIssue, texts: DigestTexts): Buffer {
  const subject = digestSubject(issue.displayName, issue.volume, issue.number);
  const inner = newBoundary();
  const carried = issue.posts.map((p) => keptForMime(p, issue.mimeKeepHeaders));
  // A post in 8-bit makes the parts around it 8bit too: a multipart may not claim 7bit over it.
  const cte = carried.some(isEightBit) ? `Content-Transfer-Encoding: 8bit${NL}` : '';
  const digestPart = Buffer.concat([
    Buffer.from(`Content-Type: multipart/digest; boundary="${inner}"${NL}${cte}${NL}`, 'latin1'),
    multipartBody(
      inner,
      carried.map((p) => messagePart(p, NL)),
      NL,
    ),
  ]);
  const parts = [describedText(texts.masthead, subject)];
  if (texts.header.trim()) parts.push(describedText(texts.header, 'Digest Header'));
  parts.push(describedText(tableOfContents(issue), `Today's Topics (${issue.posts.length} messages)`));
  parts.push(digestPart);
  if (texts.footer.trim()) parts.push(describedText(texts.footer, 'Digest Footer'));
  const outer = newBoundary();
  return Buffer.concat([
    Buffer.from(`${topHeaders(issue)}Content-Type: multipart/mixed; boundary="${outer}"${NL}${cte}${NL}`, 'latin1'),
    multipartBody(outer, parts, NL),
    Buffer.from(`End of ${subject}${NL}`, 'utf8'),
  ]);
}

/** A post as text: its text/plain parts decoded, anything else named and left out. */
function postText(post: Message): string {
  const out: string[] = [];
  for (const part of parseMime(post).walk()) {
    if (part.isContainer) continue;
    if (part.type === 'text/plain') {
      out.push(part.decodedText());
    } else {
      const name = part.filename ? `, ${part.filename}` : '';
      out.push(`[A ${part.type} part${name} is not included in the plain-text digest.]`);
    }
  }
  let text = out.join('\n').replace(/\r\n/g, '\n');
  if (text.length > MAX_PLAIN_TEXT) text = `${text.slice(0, MAX_PLAIN_TEXT)}\n[The rest of this message is cut.]`;
  return text;
}

export function plainDigest(issue: DigestIssue, texts: DigestTexts): Buffer {
  const subject = digestSubject(issue.displayName, issue.volume, issue.number);
  const rule70 = '-'.repeat(70);
  const rule30 = '-'.repeat(30);
  const out: string[] = [texts.masthead.replace(/\n+$/, ''), ''];
  if (texts.header.trim()) out.push(texts.header.replace(/\n+$/, ''), '');
  out.push(tableOfContents(issue), '', rule70, '');
  issue.posts.forEach((post, i) => {
    if (i > 0) out.push(rule30, '');
    // The post's number comes first whatever the setting says (RFC 1153's "Message").
    out.push(`Message: ${i + 1}`);
    for (const name of (issue.plainKeepHeaders ?? PLAIN_KEEP_HEADERS).slice(0, 50)) {
      if (name.toLowerCase() === 'message') continue;
      const value = post.get(name);
      if (value !== undefined) out.push(wrap(`${name}: ${value.slice(0, 2000)}`, 76).join('\n\t'));
    }
    out.push('', postText(post).replace(/\n+$/, ''), '');
  });
  if (texts.footer.trim()) {
    out.push(rule30, '', 'Subject: Digest Footer', '', texts.footer.replace(/\n+$/, ''), '', rule30, '');
  }
  const signOff = `End of ${subject}`;
  out.push(signOff, '*'.repeat(signOff.length), '');
  const body = textPart(out.join('\n'), NL);
  return Buffer.concat([Buffer.from(topHeaders(issue), 'latin1'), body]);
}
