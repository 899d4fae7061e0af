// textDocument/completion: what may be written at the cursor, from the same tables the
// compiler checks against: rules, effects, handlers and link sources from the registry, list
// settings, msgdata keys, site keys and roles from src/dsl/vocabulary.ts, chain names from
// the workspace, the file's own `let`s and `rule`s from its tree. The place is told by the
// few words before the cursor (after `list.`, `is a`, `jump`, `then`, inside `name(`); every
// scan is bounded, so a huge line costs no more than a short one.
import {
  CompletionItemKind,
  MarkupKind,
  type CompletionItem,
  type CompletionParams,
  type Range,
} from 'vscode-languageserver/node.js';
import type { Component } from '../registry.js';
import {
  ACTION_KEYWORDS,
  ACTION_MEANINGS,
  listSettings,
  messageValues,
  msgdataEntries,
  ROLE_NAMES,
  siteKeys,
  siteSections,
  typeText,
  type Registries,
  type TypedName,
} from '../dsl/index.js';
import type { Analysis } from './analysis.js';
import { describeComponent } from './hover.js';
import { within } from './positions.js';
import type { LspWorkspace } from './workspace.js';

/** Words a `(` after which groups a condition rather than opening an argument list. */
const GROUPING: ReadonlySet<string> = new Set(['if', 'and', 'or', 'not', 'when', 'then']);

/** How far back the words before the cursor are read. */
const MAX_LOOKBACK = 2000;

type Kind = 'rule' | 'effect' | 'handler' | 'link source';

function components(registry: Registries, kind: Kind): Component[] {
  const table =
    kind === 'rule'
      ? registry.rules
      : kind === 'effect'
        ? registry.effects
        : kind === 'handler'
          ? registry.handlers
          : registry.linkSources;
  return table.names().map((n) => table.get(n)!);
}

function signature(c: Component): string {
  if (!c.params?.length) return c.name;
  return `${c.name}(${c.params.map((p) => `${p.name}: ${p.type}${p.required ? '' : '?'}`).join(', ')})`;
}

class Items {
  readonly items: CompletionItem[] = [];
  constructor(private readonly range: Range) {}

  add(label: string, kind: CompletionItemKind, detail?: string, documentation?: string): void {
    const item: CompletionItem = { label, kind, textEdit: { range: this.range, newText: label } };
    if (detail) item.detail = detail;
    if (documentation) item.documentation = { kind: MarkupKind.Markdown, value: documentation };
    this.items.push(item);
  }

  components(registry: Registries, kind: Kind): void {
    const itemKind = kind === 'handler' ? CompletionItemKind.Method : CompletionItemKind.Function;
    for (const c of components(registry, kind)) this.add(c.name, itemKind, signature(c), describeComponent(kind, c));
  }

  typed(names: readonly TypedName[], kind: CompletionItemKind, what: string): void {
    for (const n of names) this.add(n.name, kind, `${what}: ${typeText(n.type)}`);
  }

  keywords(words: readonly string[]): void {
    for (const w of words) this.add(w, CompletionItemKind.Keyword, undefined, ACTION_MEANINGS[w]);
  }
}

/** The component whose argument list the cursor is in, and the names already given, if any. */
function openArgs(before: string): { name: string; run: boolean; given: Set<string>; atName: boolean } | undefined {
  let depth = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const c = before[i];
    if (c === ')' || c === ']') depth++;
    else if (c === '[') depth--;
    else if (c === '(') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const head = /(\brun\s+)?([A-Za-z_][\w-]*)\s*$/.exec(before.slice(Math.max(0, i - 200), i));
      // `if (`, `and (`: a bracket around a condition, not an argument list.
      if (!head || GROUPING.has(head[2])) return undefined;
      const inside = before.slice(i + 1);
      const given = new Set([...inside.matchAll(/([A-Za-z_][\w-]*)\s*:/g)].map((m) => m[1]));
      return { name: head[2], run: head[1] !== undefined, given, atName: /(^|,)\s*$/.test(inside) };
    } else if (c === '{' || c === '}') return undefined; // the item the cursor is in began after this
  }
  return undefined;
}

export function completion(
  analysis: Analysis,
  registry: Registries,
  workspace: LspWorkspace,
  params: CompletionParams,
): CompletionItem[] {
  const doc = analysis.doc;
  const offset = doc.offsetAt(params.position);
  const text = doc.getText();
  const before = text.slice(Math.max(0, offset - MAX_LOOKBACK), offset);
  const typed = /[\w-]*$/.exec(before)![0];
  const lead = before.slice(0, before.length - typed.length);
  const range = { start: doc.positionAt(offset - typed.length), end: params.position };
  const items = new Items(range);
  const ast = analysis.result.ast;
  // In a comment nothing is code; in a string only a reason's `{path}` is (handled below).
  if (/^[^"#\n]*("[^"\n]*"[^"#\n]*)*#/.test(lead.slice(lead.lastIndexOf('\n') + 1))) return [];

  const conditionStart = () => {
    for (const def of ast.definitions) {
      items.add(def.name.name, CompletionItemKind.Variable, def.kind === 'Let' ? 'constant' : 'rule of this file');
    }
    for (const s of analysis.result.shared?.defs ?? []) {
      items.add(
        s.def.name.name,
        CompletionItemKind.Variable,
        `${s.def.kind === 'Let' ? 'constant' : 'rule'} of ${s.from}`,
      );
    }
    items.components(registry, 'rule');
    for (const root of ['list', 'msgdata', 'site']) items.add(root, CompletionItemKind.Module, `${root}.…`);
    items.typed(
      messageValues().filter((v) => !v.name.includes('.')),
      CompletionItemKind.Variable,
      'message value',
    );
    items.keywords(['header', 'not', 'true', 'false']);
  };

  let m: RegExpExecArray | null;
  if (/(^|[^\w.-])list\.$/.test(lead)) items.typed(listSettings(), CompletionItemKind.Property, 'list setting');
  else if (/(^|[^\w.-])msgdata\.$/.test(lead)) items.typed(msgdataEntries(), CompletionItemKind.Field, 'msgdata key');
  else if ((m = /(^|[^\w.-])site\.([\w-]+)\.$/.exec(lead))) {
    items.typed(siteKeys(m[2]), CompletionItemKind.Property, `[${m[2]}]`);
  } else if (/(^|[^\w.-])site\.$/.test(lead)) {
    for (const s of siteSections()) items.add(s, CompletionItemKind.Module, `[${s}]`);
  } else if ((m = /(^|[^\w.-])(sender|recipients)\.$/.exec(lead))) {
    const prefix = `${m[2]}.`;
    const fields = messageValues().filter((v) => v.name.startsWith(prefix));
    items.typed(
      fields.map((f) => ({ ...f, name: f.name.slice(prefix.length) })),
      CompletionItemKind.Field,
      'message value',
    );
  } else if (/\bis\s+(not\s+)?an?\s+$/.test(lead)) {
    for (const r of ROLE_NAMES) items.add(r, CompletionItemKind.EnumMember, 'role');
  } else if (/\b(jump|detour)\s+$/.test(lead)) {
    for (const c of [...workspace.names('chain')].sort()) items.add(c, CompletionItemKind.Module, 'chain');
    items.keywords(['to']);
  } else if (/\brun\s+$/.test(lead)) items.components(registry, 'effect');
  else if (/\bfor\s+[\w-]+\s+in\s+$/.test(lead)) items.components(registry, 'link source');
  else if (/\bthen\s+$/.test(lead)) items.keywords(ACTION_KEYWORDS);
  else {
    const args = openArgs(lead);
    if (args?.atName) {
      const kind: Kind = args.run ? 'effect' : analysis.kind === 'pipeline' ? 'handler' : 'rule';
      const owner = components(registry, kind).find((c) => c.name === args.name);
      for (const p of owner?.params ?? []) {
        if (args.given.has(p.name)) continue;
        items.add(p.name, CompletionItemKind.Property, `${p.name}: ${p.type}`, p.description);
      }
    } else if (
      args ||
      /(^|[^\w-])(if|and|or|not|when)\s+$|(^|\s)\(\s*$|\brule\s+[\w-]+(\s+"[^"]*")?\s*=\s*$/.test(lead)
    ) {
      conditionStart();
    } else if (/(^|\n)[ \t]*$/.test(lead)) {
      const decl = ast.declarations.find((d) => within(d.span, offset));
      if (!decl && ast.declarations.length === 0) items.keywords(['chain', 'pipeline', 'let', 'rule']);
      else if (analysis.kind === 'pipeline') items.components(registry, 'handler');
      else items.keywords(['if', 'for', ...ACTION_KEYWORDS]);
    }
  }
  return items.items;
}
