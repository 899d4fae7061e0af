// A reader for Mailman-style configuration files: `[section]` headers, `key: value` or
// `key = value`, `#`/`;` comments, and indented lines continuing the previous value
// (Mailman's multi-line settings such as [antispam] header_checks rely on that).

export interface IniEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

export class IniSyntaxError extends Error {}

export function parseIni(text: string, file: string): IniEntry[] {
  const entries: IniEntry[] = [];
  let section: string | undefined;
  let last: IniEntry | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    // Blank and comment lines keep a multi-line value open; they add nothing to it.
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      last.value += '\n' + raw.trim();
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      section = header[1].trim();
      last = undefined;
      return;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*[:=]\s?(.*)$/.exec(raw);
    if (!kv)
      throw new IniSyntaxError(`${file}:${lineNo}: expected "[section]" or "key: value", found ${JSON.stringify(raw)}`);
    if (!section) throw new IniSyntaxError(`${file}:${lineNo}: "${kv[1]}" comes before any [section]`);
    last = { section, key: kv[1], value: kv[2].trim(), line: lineNo };
    entries.push(last);
  });
  return entries;
}
