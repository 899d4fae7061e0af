// HyperKitty, spoken to as the mailman-hyperkitty plugin speaks to it: each post is POSTed as
// a form (field `mlist`: the list's posting address; file `message`: the post) to
// base_url/api/mailman/archive, with the archiver key HyperKitty was given in an
// `Authorization: Token KEY` header (HyperKitty 1.3 refuses the key as a URL parameter, which
// plugins before 1.2 sent); it answers 200 and JSON naming the post's URL. The list's and the post's URLs
// follow HyperKitty's own scheme (list/ADDRESS/, and message/HASH/ below it, HASH being the
// Message-ID-Hash), so building a header never waits on HyperKitty.
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

function listUrl(ctx: ArchiverContext, mlist: MailingList): string | undefined {
  const base = ctx.setting('base_url');
  // HyperKitty's paths carry the address with its @ as it is.
  const address = encodeURIComponent(listAddresses(mlist).posting).replace(/%40/g, '@');
  return base ? archiveUrl(directoryUrl(base), `list/${address}/`) : undefined;
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
  permalink(ctx, mlist, msg) {
    const top = listUrl(ctx, mlist);
    const hash = messageHashOf(msg);
    return top && hash ? archiveUrl(top, `message/${hash}/`) : undefined;
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
