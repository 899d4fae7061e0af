// textDocument/hover: for a rule, effect, handler or link source, its description and
// parameters from the registry; for a setting, msgdata key or message value, its type; for a
// `let` or `rule` of the file, its definition as written.
import { MarkupKind, type Hover, type HoverParams } from 'vscode-languageserver/node.js';
import type { Component, ParamSpec } from '../registry.js';
import { ACTION_MEANINGS, pathText, typeText, type Ty } from '../dsl/index.js';
import type { Analysis } from './analysis.js';
import { locate } from './locate.js';
import { meaningOf, type Meaning } from './meaning.js';
import { spanRange } from './positions.js';
import type { Registries } from '../dsl/index.js';
import { declarationOf, type OpenText } from './definition.js';
import type { LspWorkspace } from './workspace.js';

/** A definition longer than this is shown cut: a tooltip is not the place for a whole rule. */
const MAX_SHOWN_CHARS = 800;

function paramLine(p: ParamSpec): string {
  const def =
    p.default === undefined
      ? ''
      : typeof p.default === 'string' && p.default.startsWith('list.')
        ? `, default \`${p.default}\``
        : `, default \`${JSON.stringify(p.default)}\``;
  const required = p.required ? ', required' : '';
  return `- \`${p.name}\`: ${p.type}${required}${def}${p.description ? ` — ${p.description}` : ''}`;
}

export function describeComponent(what: string, c: Component & { fields?: Record<string, string> }): string {
  const out = [`**${what}** \`${c.name}\``, '', c.description];
  if (c.params?.length) out.push('', 'Parameters:', ...c.params.map(paramLine));
  if (c.fields) out.push('', 'Fields of each row:', ...Object.entries(c.fields).map(([f, t]) => `- \`${f}\`: ${t}`));
  return out.join('\n');
}

function sourceOf(analysis: Analysis, span: { start: number; end: number }): string {
  const text = analysis.doc.getText().slice(span.start, Math.min(span.end, span.start + MAX_SHOWN_CHARS));
  return span.end - span.start > MAX_SHOWN_CHARS ? `${text} …` : text;
}

function typed(label: string, type: Ty | string): string {
  return `${label}: ${typeText(type as Ty)}`;
}

/** What hover may read besides the document: the files that define the chains it jumps to. */
export interface HoverContext {
  registry: Registries;
  workspace: LspWorkspace;
  openText: OpenText;
}

function chainText(name: string, ctx: HoverContext, kind: 'chain' | 'pipeline' = 'chain'): string {
  const declared = declarationOf(kind, name, ctx.workspace, ctx.registry, ctx.openText);
  if (!declared) return `**${kind}** \`${name}\`: no file in the workspace or the built-ins defines it`;
  const description = declared.decl?.description?.value;
  return [`**${kind}** \`${name}\``, ...(description ? ['', description] : []), '', `in ${declared.location.uri}`].join(
    '\n',
  );
}

function text(analysis: Analysis, m: Meaning, ctx: HoverContext): string {
  switch (m.kind) {
    case 'let':
    case 'local-rule':
      return [
        `**${m.kind === 'let' ? 'constant' : 'rule'}** \`${m.def.name.name}\`, defined in this file:`,
        '```mailman-dsl',
        sourceOf(analysis, m.def.span),
        '```',
      ].join('\n');
    case 'component':
      return describeComponent(m.what, m.component);
    case 'loop-variable':
      return m.source
        ? `**loop variable** \`${m.loop.variable.name}\`: a row of ${describeComponent('link source', m.source)}`
        : `**loop variable** \`${m.loop.variable.name}\` of \`${pathText(m.loop.source)}\``;
    case 'loop-field':
      return m.type
        ? typed(`**field** \`${m.loop.variable.name}.${m.field}\` of \`${pathText(m.loop.source)}\``, m.type)
        : `\`${m.loop.variable.name}.${m.field}\`: not a field of \`${pathText(m.loop.source)}\``;
    case 'root':
      return `\`${m.root}\`: the root of every ${m.root === 'site' ? 'site.SECTION.KEY' : `${m.root}.NAME`}`;
    case 'typed':
      return typed(`**${m.what}** \`${m.text}\``, m.type);
    case 'chain':
      return chainText(m.name, ctx, m.pipeline ? 'pipeline' : 'chain');
    case 'declaration':
      return [
        `**${m.decl.kind === 'Chain' ? 'chain' : 'pipeline'}** \`${m.decl.name.name}\``,
        ...(m.decl.description ? ['', m.decl.description.value] : []),
      ].join('\n');
    case 'role':
      return `**role** \`${m.name}\`: true when any of the addresses holds it on the list`;
    case 'action':
      return `**action** \`${m.word}\`: ${ACTION_MEANINGS[m.word]}`;
    case 'param':
      return `**parameter** of ${m.owner.kind} \`${m.owner.name}\`\n\n${paramLine(m.param)}`;
  }
}

export function hover(analysis: Analysis, ctx: HoverContext, params: HoverParams): Hover | null {
  const registry = ctx.registry;
  const offset = analysis.doc.offsetAt(params.position);
  const found = locate(analysis.result.ast, offset);
  if (!found) return null;
  const meaning = meaningOf(analysis.result.ast, registry, found, analysis.result.shared?.defs);
  if (!meaning) return null;
  const span =
    found.kind === 'path'
      ? found.path.parts[found.part].span
      : found.kind === 'definition'
        ? found.def.name.span
        : found.kind === 'declaration'
          ? found.decl.name.span
          : found.kind === 'link-source'
            ? found.path.span
            : found.kind === 'action'
              ? found.span
              : found.ident.span;
  return {
    contents: { kind: MarkupKind.Markdown, value: text(analysis, meaning, ctx) },
    range: spanRange(analysis.doc, span),
  };
}
