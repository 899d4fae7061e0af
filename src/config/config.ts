// The effective configuration: embedded defaults overlaid by one site file. Typed getters
// validate on load, so a bad value stops the server at start with the file and line.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, isAbsolute } from 'node:path';
import { parseIni } from './ini.js';
import { sectionSpec, allSectionNames, KeySpec, type RunnerTable } from './schema.js';

export class ConfigError extends Error {}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new ConfigError(`"${text}" is not a duration (like 500ms, 1s, 15m, 3d)`);
  return Math.round(parseFloat(m[1]) * UNIT_MS[m[2] ?? 's']);
}

export function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(t)) return true;
  if (['no', 'false', 'off', '0'].includes(t)) return false;
  throw new ConfigError(`"${text}" is not yes/no`);
}

function checkValue(spec: KeySpec, value: string): void {
  const why = spec.check?.(value);
  if (why) throw new ConfigError(why);
  switch (spec.type) {
    case 'int':
      if (!/^-?\d+$/.test(value.trim())) throw new ConfigError(`"${value}" is not a whole number`);
      return;
    case 'port': {
      const n = Number(value);
      if (!/^\d+$/.test(value.trim()) || n > 65535) throw new ConfigError(`"${value}" is not a port (0-65535)`);
      return;
    }
    case 'bool':
      parseBool(value);
      return;
    case 'duration':
      parseDuration(value);
      return;
    default:
      if (spec.choices && !spec.choices.includes(value)) {
        throw new ConfigError(`"${value}" is not one of ${spec.choices.join(', ')}`);
      }
  }
}

export interface ConfigOptions {
  /** An explicit file (-C); it must exist. */
  file?: string;
  /** Overrides applied on top of the file, as section -> key -> value (tests use these). */
  overrides?: Record<string, Record<string, string>>;
  cwd?: string;
  /**
   * The runners this process knows and their defaults (registry.ts runnerTable()): their
   * `[runner.NAME]` sections are valid; without it, any runner section is refused.
   */
  runners?: RunnerTable;
}

export class Config {
  readonly file: string | undefined;
  private readonly values = new Map<string, Map<string, string>>();
  private readonly baseDir: string;

  private readonly runners: RunnerTable;

  private constructor(file: string | undefined, baseDir: string, runners: RunnerTable) {
    this.file = file;
    this.baseDir = baseDir;
    this.runners = runners;
  }

  /** Finds the site file the way the CLI promises: -C, $MAILMAN_CONFIG_FILE, ./mailman.conf. */
  static locate(explicit?: string, cwd = process.cwd()): string | undefined {
    if (explicit) return resolve(cwd, explicit);
    if (process.env.MAILMAN_CONFIG_FILE) return resolve(cwd, process.env.MAILMAN_CONFIG_FILE);
    const local = resolve(cwd, 'mailman.conf');
    return existsSync(local) ? local : undefined;
  }

  static load(opts: ConfigOptions = {}): Config {
    const cwd = opts.cwd ?? process.cwd();
    const file = opts.file;
    const config = new Config(file, cwd, opts.runners ?? {});
    if (file) {
      if (!existsSync(file)) throw new ConfigError(`configuration file ${file} does not exist`);
      const entries = parseIni(readFileSync(file, 'utf8'), file);
      for (const ent of entries) {
        const where = `${file}:${ent.line}`;
        config.set(ent.section, ent.key, ent.value, where);
      }
    }
    for (const [section, keys] of Object.entries(opts.overrides ?? {})) {
      for (const [key, value] of Object.entries(keys)) config.set(section, key, value, 'override');
    }
    return config;
  }

  private set(section: string, key: string, value: string, where: string): void {
    const spec = sectionSpec(section, this.runners);
    if (!spec) {
      throw new ConfigError(
        `${where}: unknown section [${section}]; known sections: ${allSectionNames(this.runners).join(', ')}`,
      );
    }
    const keySpec = spec[key];
    if (!keySpec) {
      throw new ConfigError(
        `${where}: unknown key "${key}" in [${section}]; known keys: ${Object.keys(spec).join(', ')}`,
      );
    }
    try {
      checkValue(keySpec, value);
    } catch (err) {
      throw new ConfigError(`${where}: [${section}] ${key}: ${(err as Error).message}`);
    }
    let sec = this.values.get(section);
    if (!sec) this.values.set(section, (sec = new Map()));
    sec.set(key, value);
  }

  /** The raw (uninterpolated) value: the file's, else the embedded default. */
  raw(section: string, key: string): string {
    const spec = sectionSpec(section, this.runners);
    if (!spec || !spec[key]) throw new ConfigError(`no configuration key [${section}] ${key}`);
    return this.values.get(section)?.get(key) ?? spec[key].default;
  }

  /** The value with `$var_dir`-style references to [paths] keys expanded. */
  get(section: string, key: string): string {
    return this.expand(this.raw(section, key), new Set([`${section}.${key}`]));
  }

  private expand(value: string, seen: Set<string>): string {
    return value.replace(/\$(\w+)/g, (whole, name: string) => {
      const pathsSpec = sectionSpec('paths')!;
      if (!(name in pathsSpec)) return whole;
      const id = `paths.${name}`;
      if (seen.has(id)) throw new ConfigError(`[paths] ${name} refers to itself`);
      return this.expand(this.raw('paths', name), new Set([...seen, id]));
    });
  }

  str(section: string, key: string): string {
    return this.get(section, key);
  }
  int(section: string, key: string): number {
    return parseInt(this.get(section, key), 10);
  }
  bool(section: string, key: string): boolean {
    return parseBool(this.get(section, key));
  }
  durationMs(section: string, key: string): number {
    return parseDuration(this.get(section, key));
  }
  /** A path, made absolute against the working directory the server started in. */
  path(section: string, key: string): string {
    const v = this.get(section, key);
    return isAbsolute(v) ? v : resolve(this.baseDir, v);
  }

  get varDir(): string {
    return this.path('paths', 'var_dir');
  }
  get queueDir(): string {
    return this.path('paths', 'queue_dir');
  }
  get runDir(): string {
    return this.path('paths', 'run_dir');
  }

  /**
   * The database kind [database] class names, checked against its url: a site that names
   * PostgreSQL but still points at a SQLite file (or the reverse) is refused at start.
   */
  get databaseKind(): 'sqlite' | 'postgres' {
    const cls = this.get('database', 'class');
    const kind = /sqlite/i.test(cls) ? 'sqlite' : 'postgres';
    const url = this.databaseUrl;
    const urlKind = /^sqlite:\/\/\//.test(url) ? 'sqlite' : /^postgres(ql)?:\/\//.test(url) ? 'postgres' : undefined;
    if (!urlKind)
      throw new ConfigError(
        `[database] url: unsupported database url (use sqlite:///PATH or postgres://USER@HOST:PORT/NAME)`,
      );
    if (urlKind !== kind) {
      throw new ConfigError(
        `[database] class is ${cls} but url is a ${urlKind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} url: ` +
          (kind === 'postgres'
            ? 'set url: postgres://USER@HOST:PORT/NAME'
            : 'set class: mailman.database.postgresql.PostgreSQLDatabase'),
      );
    }
    return kind;
  }

  /** The database URL with $paths expanded and a relative SQLite path made absolute. */
  get databaseUrl(): string {
    const url = this.get('database', 'url');
    const m = /^sqlite:\/\/\/(.*)$/.exec(url);
    if (m) return `sqlite:///${isAbsolute(m[1]) ? m[1] : resolve(this.baseDir, m[1])}`;
    return url;
  }

  /** The `[HEAD.NAME]` sections the site file or overrides set, e.g. its archivers. */
  sectionsUnder(head: string): string[] {
    return [...this.values.keys()].filter((s) => s.startsWith(`${head}.`)).sort();
  }

  /** The runners this configuration was loaded knowing, for a configuration made from this one. */
  runnerTable(): RunnerTable {
    return this.runners;
  }

  /** The runners this configuration was loaded knowing, in registration order. */
  runnerNames(): string[] {
    return Object.keys(this.runners);
  }

  /** Every section and key with its effective value, for `mailman conf` and REST. */
  dump(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const name of allSectionNames(this.runners)) {
      const spec = sectionSpec(name, this.runners)!;
      out[name] = {};
      for (const key of Object.keys(spec)) out[name][key] = this.get(name, key);
    }
    return out;
  }
}
