// Where the items of a file begin, for `mailman fmt` (format.ts): read from the parser's
// concrete syntax tree, which recovery builds even after a syntax error. Items are
// definitions, chains, pipelines, links and steps; an argument list's `(` is noted too, since
// it is written against its name.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { parseTokens } from '../../grammar/parser.js';
import { joinSpacedSizes } from './lex-parse.js';

export type ItemKind = 'definition' | 'declaration' | 'if' | 'for' | 'action' | 'step';

export interface Structure {
  items: Map<number, ItemKind>;
  /** `(` opening an argument list, written against its name: `max-size(limit: 2MB)`. */
  argParens: Set<number>;
}

export function findStructure(tokens: IToken[], text: string): Structure {
  const structure: Structure = { items: new Map(), argParens: new Set() };
  const cst = parseTokens(joinSpacedSizes(tokens, text), 'file');
  walk(cst, structure);
  return structure;
}

const ITEM_RULES: Record<string, ItemKind | undefined> = {
  definition: 'definition',
  chainDecl: 'declaration',
  pipelineDecl: 'declaration',
  step: 'step',
  stepEdit: 'step',
};

/** `inEdit`: the node is inside a `before X: STEP` edit, whose step is not an item of its own. */
function walk(node: CstNode, structure: Structure, inEdit = false): void {
  let kind = inEdit && node.name === 'step' ? undefined : ITEM_RULES[node.name];
  if (node.name === 'link') kind = node.children.ifLink ? 'if' : node.children.For ? 'for' : 'action';
  if (kind) {
    // The parser tracks each node's first offset; walking the subtree (a whole chain for its
    // declaration) is the fallback for nodes recovery made up.
    const tracked = node.location?.startOffset;
    const first = tracked !== undefined && Number.isFinite(tracked) ? tracked : firstOffset(node);
    if (first !== undefined && !structure.items.has(first)) structure.items.set(first, kind);
  }
  if (node.name === 'args') {
    for (const p of node.children.LParen ?? []) if (isToken(p) && isReal(p)) structure.argParens.add(p.startOffset);
  }
  for (const children of Object.values(node.children)) {
    for (const child of children) if (!isToken(child)) walk(child, structure, inEdit || node.name === 'stepEdit');
  }
}

export function isToken(element: CstElement): element is IToken {
  return (element as IToken).image !== undefined && (element as CstNode).children === undefined;
}

/** Tokens the parser made up while recovering have no place in the text. */
export function isReal(token: IToken): boolean {
  return Number.isFinite(token.startOffset) && !token.isInsertedInRecovery;
}

function firstOffset(node: CstNode): number | undefined {
  let best: number | undefined;
  for (const children of Object.values(node.children)) {
    for (const child of children) {
      const at = isToken(child) ? (isReal(child) ? child.startOffset : undefined) : firstOffset(child);
      if (at !== undefined && (best === undefined || at < best)) best = at;
    }
  }
  return best;
}
