// The settings of one site archiver, `[archiver.NAME]`, and the component it runs. Mailman's
// archivers read base_url, recipient, command and api_key from the `[general]` section of the
// file their `configuration` key names; an admin's file keeps working here, and the same keys
// may be set in the section itself instead (a key there wins over the file's).
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, type Config } from './config.js';
import { parseIni } from './ini.js';

/** A configuration file larger than this is refused: it is a handful of lines. */
const MAX_CONFIGURATION_BYTES = 64 << 10;

/** Mailman's class paths, so a mailman.cfg's `class:` lines name the same archivers here. */
const MAILMAN_CLASSES: Record<string, string> = {
  'mailman.archiving.prototype.Prototype': 'prototype',
  'mailman.archiving.mailarchive.MailArchive': 'mail-archive',
  'mailman.archiving.mhonarc.MHonArc': 'mhonarc',
  'mailman_hyperkitty.Archiver': 'hyperkitty',
};

/**
 * The archiver component an `[archiver.NAME]` section runs: its `class` (Mailman's class path or
 * a component's name), else the section's own name (`mail_archive` as `mail-archive`).
 */
export function archiverComponentName(config: Config, name: string): string {
  const cls = config.get(`archiver.${name}`, 'class').trim();
  if (cls) return MAILMAN_CLASSES[cls] ?? cls;
  return name.replace(/_/g, '-');
}

/**
 * The `[general]` keys of the archiver's configuration file. Mailman's `python:` values name
 * its own packaged defaults, which each archiver here knows already: they read as no file.
 */
export function archiverFileSettings(config: Config, name: string): Map<string, string> {
  const section = `archiver.${name}`;
  const value = config.get(section, 'configuration').trim();
  if (!value || value.startsWith('python:')) return new Map();
  const file = config.path(section, 'configuration');
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIGURATION_BYTES)
      throw new ConfigError(`[${section}] configuration: ${file} is over ${MAX_CONFIGURATION_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`[${section}] configuration: cannot read ${file}: ${(err as Error).message}`);
  }
  const general = parseIni(text, file).filter((e) => e.section === 'general');
  return new Map(general.map((e) => [e.key, e.value]));
}

/** A setting of the archiver: the section's key when set, else its configuration file's, else ''. */
export function archiverSetting(config: Config, name: string, fileSettings: Map<string, string>, key: string): string {
  const section = `archiver.${name}`;
  const own = FILE_KEYS.has(key) ? config.get(section, key) : '';
  return own || fileSettings.get(key) || '';
}

/** The keys a configuration file may give, which the section may set too. */
const FILE_KEYS = new Set(['base_url', 'recipient', 'command', 'api_key']);
