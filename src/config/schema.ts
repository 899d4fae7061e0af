// Every configuration key the server knows, with its type and embedded default. Section and
// key names are Mailman's, so an admin's mailman.cfg habits carry over; anything not listed
// here is refused at start rather than silently ignored.

import { Resolver } from 'node:dns';
import { headerChecksProblem, listnameCharsProblem } from '../patterns/setting-patterns.js';

export type KeyType = 'string' | 'int' | 'bool' | 'duration' | 'path' | 'port';

export interface KeySpec {
  type: KeyType;
  default: string;
  /** Allowed values for an enumerated string. */
  choices?: readonly string[];
  help?: string;
  /** A further check of the value: why it is refused, or undefined. */
  check?: (value: string) => string | undefined;
  /** A password, key or credential: never a value a chain or pipeline may read (isSecretKey). */
  secret?: true;
}

export type SectionSpec = Record<string, KeySpec>;

const s = (def: string, help?: string): KeySpec => ({ type: 'string', default: def, help });
const i = (def: string, help?: string): KeySpec => ({ type: 'int', default: def, help });
const b = (def: string, help?: string): KeySpec => ({ type: 'bool', default: def, help });
const d = (def: string, help?: string): KeySpec => ({ type: 'duration', default: def, help });
const p = (def: string, help?: string): KeySpec => ({ type: 'path', default: def, help });
const port = (def: string, help?: string): KeySpec => ({ type: 'port', default: def, help });
const e = (def: string, choices: readonly string[], help?: string): KeySpec => ({
  type: 'string',
  default: def,
  choices,
  help,
});
const secret = (spec: KeySpec): KeySpec => ({ ...spec, secret: true });

/** Why node's resolver refuses a [dns] nameservers value, or undefined when it takes it. */
function nameserversProblem(text: string): string | undefined {
  const servers = text.split(/[\s,]+/).filter(Boolean);
  try {
    if (servers.length) new Resolver().setServers(servers);
    return undefined;
  } catch (err) {
    return `not a list of nameservers (host, host:port or [v6]:port): ${(err as Error).message}`;
  }
}

/** [database] class as Mailman spells it, with short names for the same two kinds. */
export const DATABASE_CLASSES = [
  'mailman.database.sqlite.SQLiteDatabase',
  'mailman.database.postgresql.PostgreSQLDatabase',
  'sqlite',
  'postgresql',
] as const;

/** [mta] incoming as Mailman spells it, by the MTA in front; only Postfix needs map files. */
export const MTA_CLASSES = {
  postfix: ['mailman.mta.postfix.LMTP', 'postfix'],
  exim4: ['mailman.mta.exim4.LMTP', 'exim4'],
  none: ['mailman.mta.null.NullMTA', 'none'],
} as const;

export const SECTIONS: Record<string, SectionSpec> = {
  mailman: {
    site_owner: s('changeme@example.com', 'who receives mail for lists without owners'),
    noreply_address: s('noreply', 'local part of the address notices come from'),
    default_language: s('en'),
    sender_headers: s('from from_ reply-to sender', 'where the sender is looked for, in order'),
    listname_chars: {
      ...s('[-_.0-9a-z]', 'characters allowed in a list name (a regex class)'),
      check: listnameCharsProblem,
    },
    pending_request_life: d('3d'),
    moderator_request_life: d('180d'),
    hold_digest: b('no'),
    email_commands_max_lines: i('10'),
    cache_life: d('7d', 'how long a template fetched from an http(s) URI is reused'),
    filtered_messages_are_preservable: b('no', "content filter_action preserve keeps the post in the 'bad' queue"),
  },
  paths: {
    var_dir: p('var', 'everything the server writes lives below this'),
    queue_dir: p('$var_dir/queue'),
    data_dir: p('$var_dir/data'),
    log_dir: p('$var_dir/logs'),
    lock_dir: p('$var_dir/locks'),
    messages_dir: p('$var_dir/messages', 'the message store (held messages)'),
    archive_dir: p('$var_dir/archives', 'what local archivers (prototype) write'),
    template_dir: p('$var_dir/templates', 'site, domain and list overrides of the built-in templates'),
    list_data_dir: p('$var_dir/lists'),
    run_dir: p('$var_dir/run', 'pid, status and bound-port files'),
    pid_file: p('$var_dir/master.pid'),
  },
  dsl: {
    chain_dir: p('$var_dir/chains', 'site chains; a file here overrides a built-in of its name'),
    pipeline_dir: p('$var_dir/pipelines', 'site pipelines; a file here overrides a built-in of its name'),
  },
  database: {
    class: e(
      'mailman.database.sqlite.SQLiteDatabase',
      DATABASE_CLASSES,
      'the database kind; url must be of the same kind (short names sqlite, postgresql also accepted)',
    ),
    url: secret(s('sqlite:///$data_dir/mailman.db', 'sqlite:///PATH or postgres://... (may hold a password)')),
    debug: b('no', 'log every SQL statement'),
  },
  webservice: {
    hostname: s('127.0.0.1'),
    port: port('8001'),
    use_https: b('no'),
    api_version: e('3.1', ['3.0', '3.1']),
    admin_user: s('restadmin'),
    admin_pass: secret(s('restpass')),
    show_tracebacks: b('yes'),
    // At most the language's own SVG bound (200 nodes, src/dsl/graph-dot.ts); only lower is useful.
    graph_max_nodes: i(
      '200',
      'links or steps beyond which GET .../graph?format=svg is refused (413); SVG is never drawn past 200 nodes ' +
        'or 400 edges whatever this says',
    ),
    graph_timeout: d('10s', 'wall time one SVG drawing may take in its worker thread'),
    explain_timeout: d('30s', 'wall time one POST .../explain may take in its worker thread (503 when passed)'),
  },
  mta: {
    incoming: e(
      'mailman.mta.postfix.LMTP',
      Object.values(MTA_CLASSES).flat(),
      'the MTA in front: Postfix gets map files in data_dir (postfix_lmtp, postfix_domains, postfix_vmap)',
    ),
    outgoing: e('mailman.mta.deliver.deliver', ['mailman.mta.deliver.deliver'], 'SMTP to smtp_host (the one way out)'),
    configuration: s(
      'python:mailman.config.postfix',
      "a file whose [postfix] section overrides this one's, as Mailman's configuration key names",
    ),
    lmtp_host: s('127.0.0.1'),
    lmtp_port: port('8024'),
    lmtp_max_message_size: i(
      '26214400',
      'bytes (25 MiB); advertised as SIZE, larger mail is refused with 552; 0: no limit',
    ),
    lmtp_max_clients: i('100', 'simultaneous LMTP connections; one more is told 421 (try later); 0: no limit'),
    lmtp_max_recipients: i('100', 'distinct RCPT TO per LMTP transaction; one more is told 452; 0: no limit'),
    lmtp_timeout: d('5m', 'an LMTP connection idle this long is closed with 421'),
    smtp_host: s('127.0.0.1'),
    smtp_port: port('25'),
    smtp_user: s(''),
    smtp_pass: secret(s('')),
    smtp_secure_mode: e('smtp', ['smtp', 'smtps', 'starttls']),
    smtp_verify_cert: b('yes', 'with smtps or starttls: refuse a certificate no trusted authority signed'),
    smtp_verify_hostname: b('yes', 'with smtps or starttls: refuse a certificate for another host name'),
    smtp_idle_quit: d('10s', 'a kept SMTP connection unused this long is closed with QUIT'),
    smtp_ehlo_name: s(
      '',
      'the name sent in EHLO; empty: the host name when fully qualified, else our address as [a.b.c.d]',
    ),
    max_recipients: i('500', 'recipients per SMTP transaction'),
    max_sessions_per_connection: i('0', 'transactions per SMTP connection before it is renewed; 0: no limit'),
    max_delivery_threads: {
      ...i(
        '4',
        'SMTP connections an out runner slice keeps, across the messages it delivers at once: ' +
          'transactions in flight at once, each on its own connection (1 to 64)',
      ),
      check: (v) =>
        /^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 64 ? undefined : 'must be a whole number from 1 to 64',
    },
    max_pipelined_transactions: {
      ...i(
        '8',
        'transactions sent in one write on a connection, when the MTA offers PIPELINING and CHUNKING ' +
          '(1 to 64); a runner killed mid-write may send that many twice',
      ),
      check: (v) =>
        /^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 64 ? undefined : 'must be a whole number from 1 to 64',
    },
    delivery_retry_period: d('5d'),
    verp_delimiter: s('+', 'what separates LIST-bounces or LIST-confirm from the detail; each verp format uses it'),
    verp_format: s(
      '${bounces}+${local}=${domain}',
      "a member's VERP envelope (local part; @ the list's host follows): $bounces, $local, $domain",
    ),
    verp_regexp: s(
      '^(?P<bounces>[^+]+?)\\+(?P<local>.+)=(?P<domain>[^=@]+)@.*$',
      "reads a VERP'd bounce address back, with the groups bounces, local and domain (local may hold =)",
    ),
    verp_probe_format: s('$bounces+$token', "a bounce probe's sender: $bounces, $token"),
    verp_probe_regexp: s(
      '^(?P<bounces>[^+]+?)\\+(?P<token>[^@]+)@.*$',
      "reads a probe's bounce address back, with the groups bounces and token",
    ),
    verp_confirm_format: s('$address+$cookie', "a confirmation request's address: $address (LIST-confirm), $cookie"),
    verp_confirm_regexp: s(
      '^(.*<)?(?P<addr>[^+]+?)\\+(?P<cookie>[^@]+)@.*$',
      'reads the token of a reply to a confirmation request, with the group cookie',
    ),
    verp_confirmations: b('yes', 'confirmation requests come from -confirm+TOKEN, so a plain reply confirms'),
    verp_personalized_deliveries: b('no', 'personalised lists send each copy from LIST-bounces+user=domain'),
    verp_delivery_interval: i('0', 'VERP every Nth post of every list (1: all, 0: none but -owner mail)'),
    verp_probes: b('no', 'at the bounce threshold, send a probe first; only its bounce disables delivery'),
    max_autoresponses_per_day: i('10'),
    remove_dkim_headers: b('no'),
  },
  dmarc: {
    resolver_timeout: d('3s', 'one DNS try of a DMARC policy (or DKIM/ARC key) lookup'),
    resolver_lifetime: d('5s', 'all tries of one lookup together'),
    cache_lifetime: d('7d', "accepted as Mailman's; the Public Suffix List is the one bundled with the server"),
    org_domain_data_url: s(
      'https://publicsuffix.org/list/public_suffix_list.dat',
      "accepted as Mailman's; the organizational domain comes from the bundled Public Suffix List (tldts)",
    ),
  },
  dns: {
    nameservers: {
      ...s(
        '',
        "the nameservers DMARC, DKIM and ARC lookups ask (host or host:port, comma separated); empty: the system's",
      ),
      check: nameserversProblem,
    },
  },
  postfix: {
    postmap_command: s('', 'e.g. /usr/sbin/postmap: run on each map after it is written (hash maps); empty: not run'),
    transport_file_type: e('hash', ['hash', 'regex'], 'regex maps match -bounces+… and -confirm+… addresses too'),
  },
  styles: {
    default: {
      ...e('legacy-default', ['legacy-default', 'legacy-announce', 'private-default']),
      help: 'the style a new list gets when none is named',
    },
  },
  antispam: {
    header_checks: { ...s('', 'one `Header: regex` per line, searched ignoring case'), check: headerChecksProblem },
    jump_chain: s('hold'),
  },
  digests: {
    mime_digest_keep_headers: s(
      'Date From To Cc Subject Message-ID Keywords In-Reply-To References Content-Type MIME-Version ' +
        'Content-Transfer-Encoding Precedence Reply-To Message List-Post',
      'the headers each post keeps in the MIME digest (its Content-* headers always; empty: every header)',
    ),
    plain_digest_keep_headers: s(
      'Message Date From Subject To Cc Message-ID Keywords Content-Type',
      'the headers each post keeps in the plain (RFC 1153) digest, in this order; Message is its number',
    ),
  },
  nntp: {
    host: s('', "the news server of a list whose nntp_host is empty (a list's nntp_host wins)"),
    port: port('119'),
    user: s('', 'with password: sent with AUTHINFO USER/PASS after the greeting; empty: no authentication'),
    password: secret(s('')),
    remove_headers: s(
      'nntp-posting-host nntp-posting-date x-trace x-complaints-to xref date-received posted posting-version ' +
        'relay-version received',
      'headers taken out of the copy posted to news (news servers refuse or rewrite them)',
    ),
    rewrite_duplicate_headers: s(
      'To X-Original-To\nCC X-Original-CC\nContent-Transfer-Encoding X-Original-Content-Transfer-Encoding\n' +
        'MIME-Version X-MIME-Version',
      'pairs HEADER NEWNAME, one a line: a header news allows once keeps its first value, the rest go to NEWNAME',
    ),
    gatenews_every: d('5m', 'how often the nntp runner gates new articles to lists with gateway_to_mail; 0: never'),
    timeout: d('60s', 'how long the news server may take to answer one command before the post is tried later'),
  },
  ARC: {
    enabled: b('no', 'verify DKIM, ARC and DMARC of posts (Authentication-Results) and ARC-seal each copy sent'),
    dmarc: b('yes', 'include the DMARC result'),
    dkim: b('yes', 'include the DKIM results'),
    authserv_id: s('', 'the authserv-id of our Authentication-Results, usually the host name'),
    trusted_authserv_ids: s('', 'authserv-ids of upstream Authentication-Results to trust (comma separated)'),
    privkey: p('', 'the PEM file of the private key ARC seals are signed with'),
    selector: s('', 'the DNS selector of that key (SELECTOR._domainkey.DOMAIN)'),
    domain: s('', 'the signing domain (d=)'),
    sig_headers: s(
      'From, Sender, Reply-To, Subject, Date, Message-ID, To, Cc, MIME-Version, Content-Type, ' +
        'Content-Transfer-Encoding, Content-ID, Content-Description, Resent-Date, Resent-From, Resent-Sender, ' +
        'Resent-To, Resent-Cc, Resent-Message-ID, In-Reply-To, References, List-Id, List-Help, ' +
        'List-Unsubscribe, List-Subscribe, List-Post, List-Owner, List-Archive',
      'the headers the ARC-Message-Signature covers; From must be one',
    ),
  },
};

/** A site archiver, `[archiver.NAME]`: the to-archive handler queues posts when one is enabled. */
export function archiverSection(): SectionSpec {
  return {
    class: s('', 'the archiver implementation'),
    enable: b('no'),
    configuration: s(''),
    clobber_date: e('maybe', ['always', 'never', 'maybe']),
    clobber_skew: d('1d'),
    // What Mailman's archivers read from their configuration file's [general] section; set here,
    // a key wins over the file's.
    base_url: s('', 'mail-archive, mhonarc, hyperkitty: where the archive is on the web'),
    recipient: s('', 'mail-archive: the address each post is sent to'),
    command: s('', 'mhonarc: the command run with each post on its standard input (no shell)'),
    api_key: secret(s('', 'hyperkitty: the key HyperKitty expects (its MAILMAN_ARCHIVER_KEY)')),
    timeout: d('60s', 'mhonarc, hyperkitty: how long one post may take before it counts as failed'),
  };
}

/**
 * What a runner's registration may set in its `[runner.NAME]` section (src/runners/registered);
 * every other key takes the default all runners share.
 */
export interface RunnerDefaults {
  process?: string;
  concurrency?: number;
  sleep_time?: string;
  start?: boolean;
}

/** The runners a process knows, by name, in the order they are registered (Mailman's: in, pipeline, out...). */
export type RunnerTable = Readonly<Record<string, RunnerDefaults>>;

export function runnerSection(def: RunnerDefaults = {}): SectionSpec {
  return {
    instances: i('1', 'slices splitting the queue (a power of 2), each in its own process'),
    concurrency: i(String(def.concurrency ?? 1), 'messages of its queue a runner slice handles at once (1 to 64)'),
    process: s(
      def.process ?? 'queues',
      'the worker process this runner lives in: runners naming the same process share one per slice; a name of ' +
        'its own isolates it',
    ),
    start: b(def.start === false ? 'no' : 'yes'),
    max_restarts: i('10', 'restarts within restart_window before giving up'),
    sleep_time: d(def.sleep_time ?? '1s', 'safety-net scan interval; new files wake the runner at once'),
  };
}

export const LOG_NAMES = [
  'root',
  'vette',
  'smtp',
  'error',
  'runner',
  'lmtp',
  'http',
  'master',
  'dsl',
  'bounce',
  'archiver',
  'fromusenet',
] as const;

export function loggingSection(): SectionSpec {
  return {
    level: e('info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    path: s('', 'file name under log_dir; empty: mailman.log'),
  };
}

/**
 * The spec of a section by its full name, or undefined if no such section exists. `[runner.NAME]`
 * exists for the runners of the table given (a process without one knows no runner sections).
 */
export function sectionSpec(section: string, runners: RunnerTable = {}): SectionSpec | undefined {
  if (SECTIONS[section]) return SECTIONS[section];
  const [head, tail] = splitSection(section);
  if (head === 'runner' && tail && Object.hasOwn(runners, tail)) return runnerSection(runners[tail]);
  if (head === 'logging' && tail && (LOG_NAMES as readonly string[]).includes(tail)) return loggingSection();
  if (head === 'archiver' && tail) return archiverSection();
  return undefined;
}

/**
 * Whether a key holds a secret. The flag in the schema decides; a key named like a credential
 * counts too, so a key added later without the flag is not readable by mistake.
 */
export function isSecretKey(section: string, key: string): boolean {
  return sectionSpec(section)?.[key]?.secret === true || SECRET_NAME.test(key);
}

/** Key names that hold credentials whatever their flag says. */
export const SECRET_NAME = /pass(word)?|secret|token|private|credential|(^|_)key$|api_?key/i;

export function splitSection(section: string): [string, string | undefined] {
  const dot = section.indexOf('.');
  return dot < 0 ? [section, undefined] : [section.slice(0, dot), section.slice(dot + 1)];
}

export function allSectionNames(runners: RunnerTable = {}): string[] {
  return [
    ...Object.keys(SECTIONS),
    ...Object.keys(runners).map((r) => `runner.${r}`),
    ...LOG_NAMES.map((l) => `logging.${l}`),
  ];
}

/**
 * A secret's value as it may be shown to a client over the network: empty stays empty, a URL
 * keeps everything but its password, anything else is masked whole.
 */
export function shownValue(section: string, key: string, value: string): string {
  if (!isSecretKey(section, key) || value === '') return value;
  const url = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@(.*)$/i.exec(value);
  if (url) return `${url[1]}${url[2].replace(/:.*$/, ':********')}@${url[3]}`;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : '********';
}
