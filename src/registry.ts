// The registry of everything a list admin can name in a `.chain` or `.pipeline` file (rules,
// effects, handlers, link sources), of the runners the master starts and of the commands mail
// to -request may give. Each component is a small module whose default export is the
// component; buildRegistry() imports them all at a process's start, as Mailman's scanner
// does, and the Registry it returns is passed to what needs it. There is no process-wide
// registry.
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message } from './email/message.js';
import type { MsgData } from './queue/qfile.js';
import type { MailingList } from './model/entities.js';
import type { Services } from './services/services.js';
import type { Config } from './config/config.js';
import type { RunnerDefaults, RunnerTable } from './config/schema.js';

/** The types a parameter may take in the language. */
export type ParamType = 'string' | 'number' | 'size' | 'bool' | 'regex' | 'address' | 'action' | 'string-list';

export interface ParamSpec {
  name: string;
  type: ParamType;
  description?: string;
  /** A literal, or `list.SETTING` to read the list's setting at run time. */
  default?: unknown;
  required?: boolean;
  /** A regex given as a string: a constant argument is checked as one (MM405, MM406), with these options. */
  pattern?: { ignoreCase?: boolean; fromStart?: boolean };
  /**
   * Why a value is refused, or undefined when it is fine: a constant argument is checked when the
   * file is (MM403), and the component checks again at run time what a setting supplies.
   */
  check?: (value: string | string[]) => string | undefined;
}

/** What every rule, effect and handler sees of the message being processed. */
export interface MessageContext {
  mlist: MailingList;
  msg: Message;
  msgdata: MsgData;
  services: Services;
  /** True under `mailman explain`: report, do not act. */
  dryRun?: boolean;
  /** The archivers, for the List-Archive and Archived-At headers (absent: none are added). */
  archivers?: Pick<ComponentRegistry<Archiver>, 'get'>;
  /**
   * State of this one run, kept on its context rather than in module tables so concurrent
   * messages never share it and nothing outlives the message.
   */
  run?: RunState;
}

export interface RunState {
  /** The row each `for` loop around the running link is at, by loop variable (the chain executor sets it). */
  loopRows?: Record<string, Record<string, unknown>>;
  /** Database answers the rules of one chain run share (dsl/lookups.ts). */
  lookups?: Map<string, Promise<unknown>>;
}

export type Args = Record<string, unknown>;

export interface RuleResult {
  hit: boolean;
  /** Appended to msgdata.moderation_reasons on a hit. */
  reasons?: string[];
  /** Merged into msgdata on a hit (e.g. member_moderation_action). */
  msgdata?: Record<string, unknown>;
  /**
   * The name recorded in rule_hits/rule_misses instead of the rule's name (header-match records
   * `header-match-SUFFIX`).
   */
  recordAs?: string;
}

export interface Component {
  name: string;
  description: string;
  params?: ParamSpec[];
}

export interface Rule extends Component {
  /** Whether a hit or miss is recorded in rule_hits / rule_misses. */
  record: boolean;
  check(ctx: MessageContext, args: Args): RuleResult | Promise<RuleResult>;
}

/** What `run NAME` calls in a chain: the terminal effects (accept-message, hold-message ...). */
export interface Effect extends Component {
  run(ctx: MessageContext, args: Args): Promise<void>;
}

/** Raised by a handler to end the pipeline, as Mailman's DiscardMessage / RejectMessage. */
export class DiscardMessage extends Error {}
export class RejectMessage extends Error {}

export interface Handler extends Component {
  process(ctx: MessageContext, args: Args): void | Promise<void>;
  /**
   * Applied by the out runner to each copy it sends, never as a pipeline step: a pipeline
   * naming it gets MM505.
   */
  perCopy?: boolean;
}

/**
 * What `for NAME in PATH { … }` iterates in a chain: rows read per message
 * (docs/language.md#link-sources-and-for-loops).
 */
export interface LinkSource extends Component {
  /**
   * Field name -> type of each row, for the checker (e.g. {header:'string', pattern:'string',
   * suffix:'string', action:'action'}).
   */
  fields: Record<string, ParamType>;
  /**
   * Fields read with a name (`part.header "X-Scan"`), each a function of the name in the row;
   * the type is that of what the function returns.
   */
  keyedFields?: Record<string, ParamType>;
  rows(ctx: MessageContext): Record<string, unknown>[] | Promise<Record<string, unknown>[]>;
}

/** What the commands of one message report, for the "The results of your email commands" reply. */
export interface CommandResults {
  /** A line of the "- Results:" section. */
  say(text: string): void;
  /**
   * Asks for the reply even when the message went to -join, -leave or -confirm+TOKEN, which
   * otherwise get none (an error, a token that did not match).
   */
  respond(): void;
  /**
   * True the first time `key` is seen under `kind` in this message, false after: a token is
   * confirmed, an address joined, once per message however often the message names it.
   */
  firstTime(kind: string, key: string): boolean;
}

/** What an email command sees: the message it came in, its list, and where its results go. */
export interface EmailCommandContext extends MessageContext {
  results: CommandResults;
  /** Every email command, for `help`. */
  commands: ComponentRegistry<EmailCommand>;
  /** The address the message came from (and the reply goes to); undefined when it names none. */
  sender: string | undefined;
}

/** Whether the commands after this one still run (Mailman's ContinueProcessing). */
export type CommandStatus = 'continue' | 'stop';

/** A command of the -request address (Mailman's eml_* modules): `confirm`, `join`, `help` ... */
export interface EmailCommand extends Component {
  /** Other words that run it (`subscribe` for `join`). */
  aliases?: readonly string[];
  /** Its arguments, as `help` shows them (Mailman's argument_description); '' for none. */
  argumentSyntax: string;
  /** What `help NAME` adds to the one-line description. */
  details?: string;
  /** `args`: the words after the command word, lower-cased. */
  process(ctx: EmailCommandContext, args: string[]): CommandStatus | Promise<CommandStatus>;
}

/** What an archiver is handed besides the list and the message: its `[archiver.NAME]` settings. */
export interface ArchiverContext {
  services: Services;
  config: Config;
  /**
   * A setting of this archiver: the `[archiver.NAME]` key when set, else the `[general]` key of
   * its `configuration` file (as Mailman's archivers read theirs), else ''.
   */
  setting(key: string): string;
  /** `[archiver.NAME] timeout`: how long one post may take (a command, an HTTP request). */
  timeoutMs: number;
}

/**
 * A site archiver (Mailman's IArchiver): where a list's archive and a post in it are found, and
 * the archiving itself. `archiveMessage` throws when the post was not archived, so the archive
 * runner can try again later.
 */
export interface Archiver extends Component {
  /**
   * The top of the list's archive (List-Archive), or undefined when it has none to show. It may
   * ask the archive (HyperKitty does), so it may be a promise.
   */
  listUrl(ctx: ArchiverContext, mlist: MailingList): string | undefined | Promise<string | undefined>;
  /** Where this post is (or will be) in the archive (Archived-At), or undefined. */
  permalink(ctx: ArchiverContext, mlist: MailingList, msg: Message): string | undefined | Promise<string | undefined>;
  archiveMessage(ctx: ArchiverContext, mlist: MailingList, msg: Message): Promise<void>;
}

/** A running runner slice: how to stop it, and (for a loop) a promise that rejects if it dies. */
export interface RunnerHandle {
  stop(): Promise<void>;
  done?: Promise<void>;
}

/** What a runner is started with: the process's configuration, services and registry. */
export interface RunnerStartEnv {
  config: Config;
  services: Services;
  registry: Registry;
}

/**
 * What the master starts in a worker process: a queue runner, or a server (lmtp, rest).
 * `blame`: the previous process here crashed, so a message it left claimed may be the cause.
 */
export interface RunnerComponent extends Component {
  /** Its `[runner.NAME]` settings where they differ from every runner's (process, concurrency...). */
  defaults?: RunnerDefaults;
  /** Starts working; resolves once running, with the way to stop it cleanly. */
  start(env: RunnerStartEnv, opts: { slice: number; count: number; blame?: boolean }): Promise<RunnerHandle>;
}

export class ComponentRegistry<T extends Component> {
  private readonly items = new Map<string, T>();
  constructor(readonly kind: string) {}

  register(item: T): T {
    if (this.items.has(item.name)) throw new Error(`duplicate ${this.kind} "${item.name}"`);
    this.items.set(item.name, item);
    return item;
  }
  get(name: string): T | undefined {
    return this.items.get(name);
  }
  has(name: string): boolean {
    return this.items.has(name);
  }
  names(): string[] {
    return [...this.items.keys()].sort();
  }
  all(): T[] {
    return this.names().map((n) => this.items.get(n)!);
  }
}

/** Everything a process can name: what chains and pipelines call, and the runners. */
export interface Registry {
  rules: ComponentRegistry<Rule>;
  effects: ComponentRegistry<Effect>;
  handlers: ComponentRegistry<Handler>;
  linkSources: ComponentRegistry<LinkSource>;
  runners: ComponentRegistry<RunnerComponent>;
  /** The commands of mail to -request, -join, -leave and -confirm (not named by the language). */
  emailCommands: ComponentRegistry<EmailCommand>;
  /** The archivers an `[archiver.NAME]` section may name (not named by the language). */
  archivers: ComponentRegistry<Archiver>;
}

/** A registry with nothing in it, for a test or a tool that registers its own components. */
export function emptyRegistry(): Registry {
  return {
    rules: new ComponentRegistry<Rule>('rule'),
    effects: new ComponentRegistry<Effect>('effect'),
    handlers: new ComponentRegistry<Handler>('handler'),
    linkSources: new ComponentRegistry<LinkSource>('link source'),
    runners: new ComponentRegistry<RunnerComponent>('runner'),
    emailCommands: new ComponentRegistry<EmailCommand>('email command'),
    archivers: new ComponentRegistry<Archiver>('archiver'),
  };
}

// Typed identities: a component module writes `export default defineRule({...})` and its
// object is checked (and its methods' parameters typed) as what its folder holds.
export const defineRule = (rule: Rule): Rule => rule;
export const defineEffect = (effect: Effect): Effect => effect;
export const defineHandler = (handler: Handler): Handler => handler;
export const defineLinkSource = (source: LinkSource): LinkSource => source;
export const defineRunners = (...runners: RunnerComponent[]): RunnerComponent[] => runners;
export const defineEmailCommand = (command: EmailCommand): EmailCommand => command;
export const defineArchiver = (archiver: Archiver): Archiver => archiver;

/** The email command a word names, by its name or one of its aliases. */
export function emailCommandNamed(
  commands: Pick<ComponentRegistry<EmailCommand>, 'get' | 'all'>,
  word: string,
): EmailCommand | undefined {
  return commands.get(word) ?? commands.all().find((c) => c.aliases?.includes(word));
}

const SRC = dirname(fileURLToPath(import.meta.url));
/** Each folder of component modules, and the part of the registry its default exports go to. */
const COMPONENT_DIRS = [
  ['moderation/rules', 'rules'],
  ['moderation/effects', 'effects'],
  ['delivery/handlers', 'handlers'],
  ['moderation/sources', 'linkSources'],
  ['commands', 'emailCommands'],
  ['archivers', 'archivers'],
] as const satisfies readonly (readonly [string, keyof Registry])[];
const RUNNER_DIR = 'runners/registered';

/** The default exports of a folder's modules, in file order and each module's own order. */
async function componentsIn(dir: string): Promise<Component[]> {
  const abs = join(SRC, dir);
  const out: Component[] = [];
  for (const file of readdirSync(abs).sort()) {
    if (!file.endsWith('.js') || file.endsWith('.d.js')) continue;
    const mod = (await import(pathToFileURL(join(abs, file)).href)) as { default?: Component | Component[] };
    if (!mod.default) throw new Error(`${dir}/${file} exports no component (export default one)`);
    out.push(...[mod.default].flat());
  }
  return out;
}

async function registerFolder(dir: string, into: ComponentRegistry<Component>): Promise<void> {
  for (const component of await componentsIn(dir)) into.register(component);
}

/**
 * The runners and their defaults, in registration order, for Config.load: light (a runner
 * module imports its implementation only when started), so the master and every command can
 * afford it.
 */
export async function runnerTable(): Promise<RunnerTable> {
  const table: Record<string, RunnerDefaults> = {};
  for (const runner of (await componentsIn(RUNNER_DIR)) as RunnerComponent[]) {
    if (Object.hasOwn(table, runner.name)) throw new Error(`duplicate runner "${runner.name}"`);
    table[runner.name] = runner.defaults ?? {};
  }
  return table;
}

/**
 * The registry of this process, built at start from the component modules (one file each,
 * as Mailman's scanner finds them) and passed to whatever compiles or runs chains and
 * pipelines. A duplicate name is refused. `runners`: also the runner modules (heavier:
 * servers and SMTP), only in processes that run one.
 */
export async function buildRegistry(opts: { runners?: boolean } = {}): Promise<Registry> {
  const registry = emptyRegistry();
  for (const [dir, kind] of COMPONENT_DIRS) {
    await registerFolder(dir, registry[kind] as ComponentRegistry<Component>);
  }
  if (opts.runners) await registerFolder(RUNNER_DIR, registry.runners as ComponentRegistry<Component>);
  return registry;
}

type Named = Pick<ComponentRegistry<Component>, 'names'>;

/** A fingerprint of what a registry holds, so compiled chains are invalidated when it changes. */
export function registryFingerprint(registry: {
  rules: Named;
  effects: Named;
  handlers: Named;
  linkSources: Named;
}): string {
  const parts = [registry.rules, registry.effects, registry.handlers, registry.linkSources];
  return parts.map((r) => r.names().join(',')).join('|');
}
