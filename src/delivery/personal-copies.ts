// Every personalised copy of one post (personalize individual or full), built from one parse.
// A copy differs from the next only in its header and footer texts, its To (full) and
// X-Mailman-Copy, so only those are computed per member: the list's placeholders are filled
// into the texts once (leaving slots for the member's), and the decoded body of a text/plain
// post and each variant of the header block are made once and spliced around the member's
// texts, in one allocation per copy. Copies that come out the same (a footer without member
// placeholders) are one Buffer, so the SMTP side serialises it once. Anything other than a
// single text/plain body is decorated whole per copy, as decorate() does it. The bytes are
// those decorate() and the header edits would give (test/delivery/decorate.test.ts).
import { Message } from '../email/message.js';
import { parseContentType } from '../email/params.js';
import { formatAddress } from '../email/addresses.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import { expandTemplate } from '../services/templates.js';
import {
  decorateWith,
  editHeaders,
  inline,
  isPersonal,
  listPlaceholders,
  memberPlaceholders,
  personalHeaders,
  plainBody,
  withDecorationData,
  type DecorationTexts,
  type Inlined,
  type MemberData,
  type PlainBody,
} from './decorate.js';

/** The member's placeholders, by Mailman's names (memberPlaceholders gives their values). */
type MemberKey = keyof ReturnType<typeof memberPlaceholders>;
const MEMBER_KEYS: ReadonlySet<string> = new Set<MemberKey>([
  'member',
  'user_email',
  'user_address',
  'user_delivered_to',
  'user_language',
  'user_name',
  'user_name_or_address',
]);

/** A header or footer text with everything but the member's placeholders filled in: text, then a slot, and so on. */
type Slotted = (string | { key: MemberKey })[];

/**
 * The text with the placeholders that are the same for every copy filled in. It reads as
 * expandTemplate() with msgdata's decoration-data over the member's over the list's: one pass,
 * `$$` a dollar, an unknown name left as written.
 */
function slotted(text: string, listSubs: Record<string, string>, decorationData: Record<string, string>): Slotted {
  const out: Slotted = [];
  let literal = '';
  let last = 0;
  for (const m of text.matchAll(/\$(?:\$|(\w+)|\{(\w+)\})/g)) {
    literal += text.slice(last, m.index);
    last = m.index + m[0].length;
    const key = m[1] ?? m[2];
    if (key === undefined) literal += '$';
    else if (Object.hasOwn(decorationData, key)) literal += decorationData[key];
    else if (MEMBER_KEYS.has(key)) {
      out.push(literal);
      literal = '';
      out.push({ key: key as MemberKey });
    } else literal += Object.hasOwn(listSubs, key) ? listSubs[key] : m[0];
  }
  out.push(literal + text.slice(last));
  return out;
}

function fill(text: Slotted, member: Record<MemberKey, string>): string {
  let s = '';
  for (const part of text) s += typeof part === 'string' ? part : member[part.key];
  return s;
}

export class PersonalCopies {
  private readonly listSubs: Record<string, string>;
  private readonly personal: boolean;
  /** The header and footer with the list's placeholders filled in, for personal texts. */
  private readonly slotted: { header: Slotted; footer: Slotted } | undefined;
  /** The post's header block, once per variant of the edits made to it. */
  private readonly heads = new Map<string, Buffer>();
  /** Whole copies that are the same for many members, by what they differ in. */
  private readonly shared = new Map<string, Buffer>();
  private plain: PlainBody | undefined | null = null;

  constructor(
    private readonly original: Message,
    private readonly mlist: MailingList,
    private readonly msgdata: MsgData,
    /** undefined: the copies are not decorated at all (shouldDecorate). */
    private readonly texts: DecorationTexts | undefined,
  ) {
    this.listSubs = listPlaceholders(mlist);
    this.personal = !!texts && isPersonal(texts);
    if (texts && this.personal) {
      const data = withDecorationData({}, msgdata);
      this.slotted = {
        header: slotted(texts.header, this.listSubs, data),
        footer: slotted(texts.footer, this.listSubs, data),
      };
    }
  }

  /** The copy for one recipient; `dup`: also addressed directly, so marked X-Mailman-Copy. */
  copy(recipient: string, member: MemberData, dup: boolean): Buffer {
    const to = this.mlist.personalize === 'full' ? formatAddress(recipient, member.displayName) : undefined;
    let header = '';
    let footer = '';
    if (this.slotted) {
      const values = memberPlaceholders(this.mlist, member);
      header = fill(this.slotted.header, values);
      footer = fill(this.slotted.footer, values);
    } else if (this.texts) {
      const subs = withDecorationData({ ...this.listSubs }, this.msgdata);
      header = expandTemplate(this.texts.header, subs);
      footer = expandTemplate(this.texts.footer, subs);
    }
    if (to === undefined && !this.personal) {
      const key = dup ? 'dup' : '';
      let copy = this.shared.get(key);
      if (!copy) this.shared.set(key, (copy = this.whole(header, footer, dup, to)));
      return copy;
    }
    if (!header && !footer) return Buffer.concat([this.head('', dup, to), this.original.body]);
    const plain = this.plainBody();
    const done = plain && inline(plain, header, footer);
    if (!plain || !done) return this.whole(header, footer, dup, to);
    return Buffer.concat([this.head(`${done.charset}\0${done.eightBit}`, dup, to, plain, done), ...done.parts]);
  }

  /** The copy decorated whole, for the shapes of message that are not spliced. */
  private whole(header: string, footer: string, dup: boolean, to: string | undefined): Buffer {
    const msg = decorateWith(this.original, header, footer);
    personalHeaders(msg, dup, to);
    return msg.toBuffer();
  }

  /** The post's single text/plain body, decoded once; undefined for any other shape. */
  private plainBody(): PlainBody | undefined {
    if (this.plain !== null) return this.plain;
    const ctype = parseContentType(this.original.getEncoded('content-type'));
    // A post without headers keeps its leading blank line only while unedited: not spliced.
    const spliceable = ctype.value === 'text/plain' && this.original.names().length > 0;
    return (this.plain = spliceable ? plainBody(this.original, ctype) : undefined);
  }

  /** The header block with the decoration's edits, then X-Mailman-Copy and To. */
  private head(variant: string, dup: boolean, to?: string, plain?: PlainBody, done?: Inlined): Buffer {
    const key = `${variant}\0${dup}`;
    let head = this.heads.get(key);
    if (!head) {
      const msg = new Message(this.original.headerBytes());
      if (plain && done) editHeaders(msg, plain, done);
      personalHeaders(msg, dup);
      this.heads.set(key, (head = msg.headerBytes()));
    }
    if (to === undefined) return head;
    const msg = new Message(head);
    personalHeaders(msg, false, to);
    return msg.headerBytes();
  }
}
