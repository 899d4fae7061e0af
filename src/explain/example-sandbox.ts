// The throw-away world an example runs in (docs/language.md#examples): a database and var dir
// made from the site's configuration, a fresh list per example with the settings, rosters, bans
// and header filters it names, and the message it describes. Nothing reaches the site's own
// database, queues or MTA.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../config/config.js';
import type { RunnerTable } from '../config/schema.js';
import type { Example } from '../dsl/index.js';
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';

export const LIST = 'list@example.com';
/** A fixed date, so an example reads the same every day. */
const DATE = 'Mon, 07 Dec 2026 08:00:00 +0000';

export interface Sandbox {
  services: Services;
  close(): Promise<void>;
}

/** A database and var dir of its own, made from the site's configuration. */
export async function openSandbox(site: Config, runners: RunnerTable): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-examples-'));
  const paths: Record<string, string> = { pid_file: join(dir, 'master.pid') };
  for (const key of ['queue', 'data', 'log', 'lock', 'messages', 'archive', 'list_data', 'run'])
    paths[`${key}_dir`] = join(dir, key);
  const config = Config.load({
    file: site.file,
    runners,
    overrides: {
      paths,
      database: { class: 'sqlite', url: `sqlite:///${join(dir, 'examples.db')}` },
      // No MTA maps (nor postmap) for the lists examples make.
      mta: { incoming: 'none' },
    },
  });
  const { Services } = await import('../services/services.js');
  const services = await Services.open(config, { migrate: true });
  return {
    services,
    async close() {
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example's message as it would arrive. */
export function exampleMessage(ex: Example): Buffer {
  const head: string[] = [
    `From: ${ex.from ?? 'someone@example.org'}`,
    `To: ${ex.to ?? LIST}`,
    ...(ex.cc ? [`Cc: ${ex.cc}`] : []),
    ...(ex.subject === '' ? [] : [`Subject: ${ex.subject ?? 'Example'}`]),
    `Message-ID: <example-${ex.line}@examples.invalid>`,
    `Date: ${DATE}`,
    ...ex.headers.map((h) => `${h.name}: ${h.value}`),
  ];
  const text = ex.body.length ? ex.body.join('\r\n') : 'An example.';
  if (ex.attachments.length === 0)
    return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n'));
  const boundary = `example-boundary-${ex.line}`;
  const parts: string[] = [
    ...head,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
  ];
  for (const a of ex.attachments) {
    const data = Buffer.alloc(a.size, 'x').toString('base64');
    parts.push(
      `--${boundary}`,
      `Content-Type: ${a.type}; name="${a.filename}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      ...(data.match(/.{1,76}/g) ?? []),
    );
  }
  parts.push(`--${boundary}--`, '');
  return Buffer.from(parts.join('\r\n'));
}

/** An example that could not be run as written (a setting the list refuses, a bad member). */
export class NotRun extends Error {
  constructor(
    readonly at: { line: number; column: number },
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sets one list setting from its text, as an admin's `listconf --set` or REST does (checked and
 * converted there); given by the caller, which sits above explain (REST, the CLI).
 */
export type ListSettingWriter = (services: Services, mlist: MailingList, name: string, value: string) => Promise<void>;

/** A fresh list with the example's settings, rosters, bans and header filters. */
export async function listFor(services: Services, ex: Example, writeSetting: ListSettingWriter): Promise<MailingList> {
  if (await services.lists.get(LIST)) await services.lists.remove(LIST);
  if (!(await services.domains.get('example.com'))) await services.domains.create('example.com');
  const mlist = await services.lists.create(LIST);
  for (const s of ex.settings) {
    try {
      await writeSetting(services, mlist, s.name, s.value);
    } catch (err) {
      // REST's wording names the parameter; here the line already does.
      const why = (err as Error).message.replace(/^Invalid Parameter "[^"]*": /, '').replace(/\.$/, '');
      throw new NotRun(s, `the list refuses ${s.name} = ${s.value}: ${why}`);
    }
  }
  for (const m of ex.members) {
    try {
      await services.members.subscribe(mlist, m.address, { role: m.role, verified: true });
      if (m.action) {
        const member = await services.members.findMember(mlist.list_id, m.address, m.role);
        if (member) await services.members.setModerationAction(member, m.action);
      }
    } catch (err) {
      throw new NotRun(m, `member ${m.address}: ${(err as Error).message}`);
    }
  }
  for (const b of ex.bans) await services.bans.ban(b.address, mlist.list_id);
  for (const h of ex.headerMatches) {
    try {
      await services.headerMatches.add(mlist, { header: h.header, pattern: h.pattern, action: h.action ?? null });
    } catch (err) {
      throw new NotRun(h, `header-match: ${(err as Error).message}`);
    }
  }
  return (await services.lists.get(LIST))!;
}
