// The constructs of docs/language.md beyond single links, run on real messages through the
// chain executor: `then { … }` blocks and `else` (with `else if`), header numbers and counts,
// `body`, and `for part in message.parts` with each field of its rows. The terminal chains
// are real files whose effect only notes that it ran, so each test reads the disposition
// and the trace the executor gives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DslCatalog, formatReport, MAX_PARTS_VISITED } from '../../src/dsl/index.js';
import { runChain } from '../../src/moderation/chain-executor.js';
import { Message } from '../../src/email/message.js';
import type { MessageContext } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import { makeCtx } from './support.js';

registry.effects.register({
  name: 'test-note',
  description: 'Notes its tag in msgdata.notes.',
  params: [{ name: 'tag', type: 'string', required: true }],
  run: async (ctx, args) => {
    ((ctx.msgdata.notes ??= []) as unknown[]).push(args.tag);
  },
});

const TERMINALS = {
  accept: 'chain accept { run test-note(tag: "accept") stop }',
  hold: 'chain hold { run test-note(tag: "hold") stop }',
  reject: 'chain reject { run test-note(tag: "reject") stop }',
  discard: 'chain discard { run test-note(tag: "discard") stop }',
};

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function catalogOf(chains: Record<string, string>): Promise<DslCatalog> {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-constructs-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries({ ...TERMINALS, ...chains }))
    writeFileSync(join(dir, `${name}.chain`), text);
  const catalog = await DslCatalog.load({ builtinChains: dir, builtinPipelines: join(dir, 'none') }, { registry });
  const errors = catalog.diagnostics().filter((d) => d.severity === 'error');
  assert.equal(
    errors.length,
    0,
    formatReport(errors, () => undefined),
  );
  return catalog;
}

/** A context for the raw message `raw` (headers, blank line, body). */
function ctxOf(raw: string): MessageContext {
  const ctx = makeCtx();
  ctx.msg = new Message(Buffer.from(raw.replace(/\n/g, '\r\n')));
  return ctx;
}

const notes = (ctx: MessageContext) => ctx.msgdata.notes as string[] | undefined;

/** What the chain `start` of `catalog` decides for `raw`: the terminal chain's tag, and the context. */
async function decide(catalog: DslCatalog, raw: string) {
  const ctx = ctxOf(raw);
  const trace = await runChain(catalog, 'start', ctx);
  return { decision: notes(ctx)?.at(-1), ctx, trace };
}

const plain = (headers: string, body = 'Hello, list.\n') =>
  `From: anne@example.org\nTo: ant@example.com\nSubject: Hi\n${headers}\n${body}`;

// ---- blocks and else

test('then { … } runs its links in order, then the link after the if; a miss skips the block', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if header "X-Flag" exists then {
        run test-note(tag: "first")
        run test-note(tag: "second")
      }
      run test-note(tag: "after")
      accept
    }`,
  });
  const hit = await decide(catalog, plain('X-Flag: yes\n'));
  assert.deepEqual(notes(hit.ctx), ['first', 'second', 'after', 'accept']);
  const miss = await decide(catalog, plain(''));
  assert.deepEqual(notes(miss.ctx), ['after', 'accept']);
  assert.deepEqual(
    miss.trace.links.slice(0, 2).map((l) => [l.at, l.hit, l.action, l.else]),
    [
      ['2:7', false, '{ 2 links }', undefined],
      ['6:7', true, 'run test-note', undefined],
    ],
  );
});

test('else runs when the condition does not hold, else if chains tests, and the trace names the branch', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if header "X-Level" is "high" then hold
      else if header "X-Level" is "low" then { run test-note(tag: "low") accept }
      else discard
    }`,
  });
  assert.equal((await decide(catalog, plain('X-Level: high\n'))).decision, 'hold');
  const low = await decide(catalog, plain('X-Level: low\n'));
  assert.deepEqual(notes(low.ctx), ['low', 'accept']);
  const other = await decide(catalog, plain('X-Level: other\n'));
  assert.equal(other.decision, 'discard');
  assert.deepEqual(
    other.trace.links.slice(0, 2).map((l) => [l.at, l.hit, l.action, l.else]),
    [
      ['2:7', false, '{ 1 link }', true],
      ['3:12', false, 'discard', true],
    ],
  );
});

test('a detour inside a block comes back into the block; a jump leaves it for good', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if header "X-Flag" exists then {
        detour side
        run test-note(tag: "back in the block")
        if header "X-Leave" exists then jump hold
        run test-note(tag: "stayed")
      }
      accept
    }`,
    side: 'chain side { run test-note(tag: "side") }',
  });
  const stay = await decide(catalog, plain('X-Flag: 1\n'));
  assert.deepEqual(notes(stay.ctx), ['side', 'back in the block', 'stayed', 'accept']);
  const leave = await decide(catalog, plain('X-Flag: 1\nX-Leave: 1\n'));
  assert.deepEqual(notes(leave.ctx), ['side', 'back in the block', 'hold']);
});

// ---- numbers from headers and counts

test('header as number: a spam score of 7.5 is held, 3.2 accepted; text that is no number is false, never an error', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if header "X-Spam-Score" as number > 5 then hold "Spam score over 5"
      accept
    }`,
  });
  assert.equal((await decide(catalog, plain('X-Spam-Score: 7.5\n'))).decision, 'hold');
  assert.equal((await decide(catalog, plain('X-Spam-Score: 3.2\n'))).decision, 'accept');
  assert.equal((await decide(catalog, plain('X-Spam-Score:  +12 \n'))).decision, 'hold');
  for (const text of ['high', '7.5 points', '1e9', 'NaN', 'Infinity', '9'.repeat(80), '']) {
    const r = await decide(catalog, plain(`X-Spam-Score: ${text}\n`));
    assert.equal(r.decision, 'accept', `X-Spam-Score: ${text}`);
  }
  assert.equal((await decide(catalog, plain(''))).decision, 'accept');
  // Any value of a repeated header that is a number may decide.
  assert.equal((await decide(catalog, plain('X-Spam-Score: none\nX-Spam-Score: 6\n'))).decision, 'hold');
});

test('counts: header "Received" count, recipients count', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if header "Received" count > 3 then discard "Too many hops"
      if recipients count >= 3 then hold
      if header "Received" count is 0 then reject
      accept
    }`,
  });
  const received = (n: number) => 'Received: from a by b\n'.repeat(n);
  assert.equal((await decide(catalog, plain(received(4)))).decision, 'discard');
  assert.equal((await decide(catalog, plain(received(3)))).decision, 'accept');
  assert.equal((await decide(catalog, plain(''))).decision, 'reject');
  assert.equal((await decide(catalog, plain(`${received(1)}Cc: b@example.org, c@example.org\n`))).decision, 'hold');
});

// ---- MIME parts and bodies

const BOUNDARY = 'XyZ';
function multipart(parts: string[], headers = ''): string {
  const body = parts.map((p) => `--${BOUNDARY}\n${p}`).join('\n') + `\n--${BOUNDARY}--\n`;
  return plain(`${headers}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${BOUNDARY}"\n`, body);
}
const TEXT_PART = 'Content-Type: text/plain; charset=utf-8\n\nPlease see the attachment.\n';
const exePart = (disposition: string) =>
  `Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n${disposition}\n\n` +
  `${Buffer.from('MZ fake program').toString('base64')}\n`;

const ATTACHMENTS = `chain start {
    for part in message.parts {
        if part.type is "application/x-msdownload" or part.size > 1KB or part.filename ends with ".exe"
            then reject "{part.filename} is not accepted"
        if part.header "X-Scan" contains "infected" then discard
        if part.body contains "lottery" then hold "Lottery text in a {part.type} part"
    }
    accept
}`;

test('a multipart message with an .exe attachment is rejected, its file name in the reason', async () => {
  const catalog = await catalogOf({ start: ATTACHMENTS });
  const r = await decide(
    catalog,
    multipart([TEXT_PART, exePart('Content-Disposition: attachment; filename="setup.EXE"')]),
  );
  assert.equal(r.decision, 'reject');
  assert.deepEqual(r.ctx.msgdata.moderation_reasons, ['setup.EXE is not accepted']);
  // The loop visited the text part, then the attachment: one row each.
  assert.deepEqual(
    r.trace.links.filter((l) => l.row !== undefined).map((l) => [l.row, l.at, l.hit]),
    [
      [0, '3:9', false],
      [0, '5:9', false],
      [0, '6:9', false],
      [1, '3:9', true],
    ],
  );
});

test('part fields: an RFC 2231 file name, the decoded size, the type, a part header, a text part body', async () => {
  const catalog = await catalogOf({ start: ATTACHMENTS });
  // filename*: the RFC 2231 form, percent-encoded in a charset.
  const rfc2231 = exePart("Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.exe");
  const named = await decide(catalog, multipart([TEXT_PART, rfc2231]));
  assert.deepEqual(named.ctx.msgdata.moderation_reasons, ['résumé.exe is not accepted']);
  // The Content-Type name when there is no Content-Disposition.
  const typeName = 'Content-Type: application/octet-stream; name="tool.exe"\n\nMZ\n';
  assert.equal((await decide(catalog, multipart([TEXT_PART, typeName]))).decision, 'reject');
  // A base64 part of 1,200 bytes decoded (1,624 encoded) is over 1KB; 900 bytes is not.
  const sized = (n: number) =>
    `Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n${Buffer.alloc(n, 7).toString('base64')}\n`;
  assert.equal((await decide(catalog, multipart([TEXT_PART, sized(1200)]))).decision, 'reject');
  assert.equal((await decide(catalog, multipart([TEXT_PART, sized(900)]))).decision, 'accept');
  const typed = 'Content-Type: Application/X-MSDownload\n\nMZ\n';
  assert.equal((await decide(catalog, multipart([TEXT_PART, typed]))).decision, 'reject');
  const scanned = 'Content-Type: application/pdf\nX-Scan: Infected (EICAR)\n\n%PDF\n';
  assert.equal((await decide(catalog, multipart([TEXT_PART, scanned]))).decision, 'discard');
  const qp =
    'Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nWin the=\n lottery!\n';
  const lottery = await decide(catalog, multipart([TEXT_PART, qp]));
  assert.equal(lottery.decision, 'hold');
  assert.deepEqual(lottery.ctx.msgdata.moderation_reasons, ['Lottery text in a text/html part']);
  // The same word in a non-text part is not body text.
  const binary = 'Content-Type: application/octet-stream\n\nlottery\n';
  assert.equal((await decide(catalog, multipart([TEXT_PART, binary]))).decision, 'accept');
});

test('part.subtype and part.charset; a plain message is one part', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      for part in message.parts {
        if part.subtype is "plain" and part.charset is "iso-8859-1" then hold
      }
      accept
    }`,
  });
  assert.equal((await decide(catalog, plain('Content-Type: text/plain; charset=ISO-8859-1\n'))).decision, 'hold');
  assert.equal((await decide(catalog, plain('Content-Type: text/plain; charset=utf-8\n'))).decision, 'accept');
});

test('body: the decoded text parts (base64 undone), searched with contains and an RE2 regex', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if body matches /\\bunsubscribe\\b/i then hold "Looks like a command"
      if body contains "viagra" then discard
      accept
    }`,
  });
  const b64 = `Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${Buffer.from('Please UNSUBSCRIBE me').toString('base64')}\n`;
  assert.equal((await decide(catalog, multipart([TEXT_PART, b64]))).decision, 'hold');
  assert.equal((await decide(catalog, plain('', 'cheap viagra\n'))).decision, 'discard');
  assert.equal((await decide(catalog, plain('', 'unsubscribed yesterday\n'))).decision, 'accept');
  const attachment = 'Content-Type: application/octet-stream\n\nviagra\n';
  assert.equal((await decide(catalog, multipart([TEXT_PART, attachment]))).decision, 'accept');
});

test(`a message of many parts: the loop visits the first ${MAX_PARTS_VISITED} leaves and no more`, async () => {
  const catalog = await catalogOf({
    start: `chain start {
      for part in message.parts { if part.filename ends with ".exe" then reject }
      accept
    }`,
  });
  const tiny = (i: number) => `Content-Type: text/plain\nContent-Disposition: attachment; filename="f${i}.txt"\n\nx\n`;
  const parts = Array.from({ length: MAX_PARTS_VISITED + 50 }, (_, i) => tiny(i));
  const r = await decide(catalog, multipart(parts));
  assert.equal(r.decision, 'accept');
  const forStep = r.trace.links.find((l) => l.rows !== undefined);
  assert.equal(forStep?.rows, MAX_PARTS_VISITED);
});
