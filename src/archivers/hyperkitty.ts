// HyperKitty, spoken to as the mailman-hyperkitty plugin speaks to it: each post is POSTed as
// a form (field `mlist`: the list's posting address; file `message`: the post) to
// base_url/api/mailman/archive, with the archiver key HyperKitty was given in an
// `Authorization: Token KEY` header (HyperKitty 1.3 refuses the key as a URL parameter, which
// plugins before 1.2 sent); it answers 200 and JSON naming the post's URL.
//
// The URLs for List-Archive and Archived-At are HyperKitty's to give, from
// base_url/api/mailman/urls (with the same key): base_url is often an address only the server
// reaches (http://localhost/hyperkitty/), while HyperKitty answers with the public site its
// mail domain belongs to. The list's URL is kept a few minutes, so a busy list does not ask
// per post for what rarely changes. When HyperKitty cannot answer in time, the URLs follow its
// scheme (list/ADDRESS/, and message/HASH/ below it, HASH being the Message-ID-Hash) from the
// last list URL it gave, else from base_url, and the post goes on.
import { defineArchiver, type ArchiverContext } from '../registry.js';
import { archiveUrl, directoryUrl, messageHashOf } from '../email/archive-urls.js';
import { listAddresses } from '../model/list-addresses.js';
import type { MailingList } from '../model/entities.js';
import { logger } from '../logging.js';

/** An answer larger than this is not read: HyperKitty's is a line of JSON. */
const MAX_ANSWER = 64 << 10;

function baseUrl(ctx: ArchiverContext): string {
  const base = ctx.setting('base_url');
  if (!base) throw new Error('[archiver.hyperkitty] has no base_url (in the section or its configuration file)');
  return directoryUrl(base);
}

/** The list's URL by HyperKitty's scheme below base_url, when HyperKitty cannot be asked. */
function schemeListUrl(ctx: ArchiverContext, mlist: MailingList): string | undefined {
  const base = ctx.setting('base_url');
  // HyperKitty's paths carry the address with its @ as it is.
  const address = encodeURIComponent(listAddresses(mlist).posting).replace(/%40/g, '@');
  return base ? archiveUrl(directoryUrl(base), `list/${address}/`) : undefined;
}

/** How long an asked list URL is used before asking again. */
const LIST_URL_LIFE_MS = 5 * 60_000;
/** Lists whose URL is kept at once (the oldest goes first). */
const LIST_URLS_KEPT = 1000;
/** One URL question waits at most this long (or the archiver's timeout, if shorter): a post waits on it. */
const URL_QUESTION_MS = 5_000;

const listUrls = new Map<string, { url: string; at: number }>();

/** HyperKitty's answer to base_url/api/mailman/urls for the list (and a Message-ID); throws when there is none. */
async function askUrl(ctx: ArchiverContext, mlist: MailingList, messageId?: string): Promise<string> {
  const url = new URL('api/mailman/urls', baseUrl(ctx));
  url.searchParams.set('mlist', listAddresses(mlist).posting);
  if (messageId) url.searchParams.set('msgid', messageId);
  const res = await fetch(url, {
    headers: { authorization: `Token ${ctx.setting('api_key')}` },
    redirect: 'error',
    signal: AbortSignal.timeout(Math.min(ctx.timeoutMs, URL_QUESTION_MS)),
  });
  const answer = await boundedText(res);
  if (res.status !== 200) throw new Error(`HyperKitty at ${url.origin}${url.pathname} answered ${res.status}`);
  const given = (JSON.parse(answer) as { url?: unknown }).url;
  // Only a web address goes into a header: nothing HyperKitty says may add a header line.
  if (typeof given !== 'string' || !/^https?:\/\/[^\s<>"]{1,2000}$/.test(given))
    throw new Error(`HyperKitty at ${url.origin} answered no URL`);
  return given;
}

function unanswered(mlist: MailingList, err: unknown): void {
  logger('archiver').warn(
    { archiver: 'hyperkitty', list: mlist.list_id, err: (err as Error).message },
    'HyperKitty gave no archive URL; using its URL scheme',
  );
}

/** Kept per HyperKitty (a site may run two archiver sections) and list. */
const keptKey = (ctx: ArchiverContext, mlist: MailingList) => `${ctx.setting('base_url')}\0${mlist.list_id}`;

async function listUrl(ctx: ArchiverContext, mlist: MailingList): Promise<string | undefined> {
  const key = keptKey(ctx, mlist);
  const kept = listUrls.get(key);
  if (kept && Date.now() - kept.at < LIST_URL_LIFE_MS) return kept.url;
  try {
    const url = await askUrl(ctx, mlist);
    listUrls.delete(key);
    if (listUrls.size >= LIST_URLS_KEPT) listUrls.delete(listUrls.keys().next().value!);
    listUrls.set(key, { url, at: Date.now() });
    return url;
  } catch (err) {
    unanswered(mlist, err);
    return kept?.url ?? schemeListUrl(ctx, mlist);
  }
}

/** The answer's first MAX_ANSWER bytes; the rest is not read. */
async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ANSWER) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER).toString('utf8');
}

export default defineArchiver({
  name: 'hyperkitty',
  description: 'Sends each post to HyperKitty over its archiver API (base_url, api_key).',
  listUrl,
  async permalink(ctx, mlist, msg) {
    const hash = messageHashOf(msg);
    if (!hash || !msg.messageId) return undefined;
    try {
      return await askUrl(ctx, mlist, msg.messageId);
    } catch (err) {
      unanswered(mlist, err);
      const top = listUrls.get(keptKey(ctx, mlist))?.url ?? schemeListUrl(ctx, mlist);
      return top ? archiveUrl(directoryUrl(top), `message/${hash}/`) : undefined;
    }
  },
  async archiveMessage(ctx, mlist, msg) {
    const url = new URL('api/mailman/archive', baseUrl(ctx));
    const form = new FormData();
    form.set('mlist', listAddresses(mlist).posting);
    form.set('message', new Blob([msg.toBuffer()], { type: 'message/rfc822' }), 'message.txt');
    const res = await fetch(url, {
      method: 'POST',
      body: form,
      headers: { authorization: `Token ${ctx.setting('api_key')}` },
      // A redirect must not carry the key elsewhere.
      redirect: 'error',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    const answer = await boundedText(res);
    const where = url.href;
    if (res.status !== 200) throw new Error(`HyperKitty at ${where} answered ${res.status}: ${answer.slice(0, 200)}`);
    let archived: unknown;
    try {
      archived = (JSON.parse(answer) as { url?: unknown }).url;
    } catch {
      throw new Error(`HyperKitty at ${where} answered 200 but not with JSON`);
    }
    logger('archiver').info(
      { archiver: 'hyperkitty', list: mlist.list_id, message_id: msg.messageId, url: archived },
      'archived in HyperKitty',
    );
  },
});
