// Reading values and testing them, for executable.ts: a getter per IR value (a list setting,
// a header, the sender ...) and a predicate per test, specialised once at build time. The
// comparisons of docs/language.md#conditions: strings ignore case, a test on a list holds when any element
// passes, negated forms are exact negations.
import type { MessageContext } from '../registry.js';
import { parseBool, parseDuration } from '../config/config.js';
import { isSecretKey, SECRET_NAME } from '../config/schema.js';
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import type { TemplateIr, TestOp, ValueIr } from './ir.js';
import { compilePattern, isPattern, tryPattern } from '../patterns/patterns.js';
import { bodyText } from './message-text.js';
import { capture, humanSize, setCaptures, shownValue } from './reasons.js';

export type Getter = (ctx: MessageContext) => unknown;
export type Cond = (ctx: MessageContext) => boolean | Promise<boolean>;

function setting(ctx: MessageContext, name: string): unknown {
  return (ctx.mlist as unknown as Record<string, unknown>)[name];
}

function firstSender(ctx: MessageContext): string | undefined {
  return ctx.msg.senders(ctx.services.senderHeaders)[0];
}

const MESSAGE_GETTERS: Record<string, Getter> = {
  sender: firstSender,
  'sender.domain': (ctx) => firstSender(ctx)?.split('@').pop(),
  'sender.localpart': (ctx) => {
    const s = firstSender(ctx);
    return s === undefined ? undefined : s.slice(0, Math.max(0, s.lastIndexOf('@')));
  },
  senders: (ctx) => ctx.msg.senders(ctx.services.senderHeaders),
  recipients,
  'recipients.count': (ctx) => recipients(ctx).length,
  size: (ctx) => ctx.msg.toBuffer().length,
  body: (ctx) => bodyText(ctx.msg),
};

/** The addresses of To and Cc, lower-cased, each once. */
function recipients(ctx: MessageContext): string[] {
  const out = new Set<string>();
  for (const h of ['to', 'cc']) for (const a of ctx.msg.addresses(h)) out.add(a.email);
  return [...out];
}

export function getter(v: ValueIr): Getter {
  if ('lit' in v) {
    const c = v.lit;
    return () => c;
  }
  if ('regex' in v) {
    // Checked by the lowering (MM405/MM406): a refusal here is a stale or hand-made IR, and throws.
    const re = compilePattern(v.regex.source, { flags: v.regex.flags });
    return () => re;
  }
  if ('list' in v) {
    const items = v.list.map(getter);
    return (ctx) => items.map((g) => g(ctx));
  }
  if ('setting' in v) {
    const name = v.setting;
    if (SETTINGS_BY_NAME.get(name)?.secret || SECRET_NAME.test(name)) {
      throw new Error(`list.${name} is a secret and cannot be read`);
    }
    if (v.kb) {
      return (ctx) => {
        const x = setting(ctx, name);
        return typeof x === 'number' ? x * 1024 : x;
      };
    }
    return (ctx) => setting(ctx, name);
  }
  if ('msgdata' in v) {
    const key = v.msgdata;
    return (ctx) => ctx.msgdata[key];
  }
  if ('header' in v) {
    const name = v.header;
    return (ctx) => ctx.msg.getAll(name);
  }
  if ('site' in v) {
    const { site: section, key, as } = v;
    // The compiler refuses secrets (MM311); an IR from elsewhere must not read one either.
    if (isSecretKey(section, key)) throw new Error(`site.${section}.${key} is a secret and cannot be read`);
    return (ctx) => {
      const text = ctx.services.config.get(section, key);
      if (as === 'number') return Number(text);
      if (as === 'bool') return parseBool(text);
      if (as === 'duration') return parseDuration(text);
      return text;
    };
  }
  if ('row' in v) {
    const { row, field, key } = v;
    if (key !== undefined) {
      return (ctx) => {
        const read = ctx.run?.loopRows?.[row]?.[field];
        return typeof read === 'function' ? (read as (k: string) => unknown)(key) : undefined;
      };
    }
    return (ctx) => ctx.run?.loopRows?.[row]?.[field];
  }
  if ('count' in v) {
    const g = getter(v.count);
    return (ctx) => {
      const x = g(ctx);
      return Array.isArray(x) ? x.length : x === undefined || x === null ? 0 : 1;
    };
  }
  if ('number' in v) {
    const g = getter(v.number);
    return (ctx) => {
      const x = g(ctx);
      const out: number[] = [];
      for (const item of Array.isArray(x) ? x : [x]) {
        const n = decimal(item);
        if (n !== undefined) out.push(n);
      }
      return out;
    };
  }
  const g = MESSAGE_GETTERS[v.message];
  if (!g) throw new Error(`'${v.message}' cannot be read`);
  return g;
}

/** Longer texts are not numbers: the test stays cheap whatever a header holds. */
const MAX_NUMBER_TEXT = 64;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A header's text as a decimal number (`7.5`, ` -3 `, `+2.`), or undefined when it is not one. */
export function decimal(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isFinite(x) ? x : undefined;
  if (typeof x !== 'string' || x.length > MAX_NUMBER_TEXT) return undefined;
  const text = x.trim();
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** How a value reads in a trace label. */
export function describe(v: ValueIr): string {
  if ('lit' in v) return JSON.stringify(v.lit);
  if ('regex' in v) return `/${v.regex.source}/${v.regex.flags}`;
  if ('list' in v) return `[${v.list.map(describe).join(', ')}]`;
  if ('setting' in v) return `list.${v.setting}`;
  if ('msgdata' in v) return `msgdata.${v.msgdata}`;
  if ('header' in v) return `header ${JSON.stringify(v.header)}`;
  if ('site' in v) return `site.${v.site}.${v.key}`;
  if ('row' in v) return v.key === undefined ? `${v.row}.${v.field}` : `${v.row}.${v.field} ${JSON.stringify(v.key)}`;
  if ('count' in v) return `${describe(v.count)} count`;
  if ('number' in v) return `${describe(v.number)} as number`;
  return v.message;
}

export function truthy(x: unknown): boolean {
  return Array.isArray(x) ? x.length > 0 : !!x;
}

export function template(parts: TemplateIr): (ctx: MessageContext) => string {
  if (parts.every((p) => typeof p === 'string')) {
    const fixed = parts.join('');
    return () => fixed;
  }
  const pieces = parts.map((p): ((ctx: MessageContext) => string) => {
    if (typeof p === 'string') return () => p;
    if ('capture' in p) {
      const group = p.capture;
      return (ctx) => shownValue(capture(ctx, group));
    }
    if ('size' in p) {
      const g = getter(p.size);
      return (ctx) => humanSize(g(ctx));
    }
    const g = getter(p);
    return (ctx) => shownValue(g(ctx));
  });
  return (ctx) => {
    let out = '';
    for (const piece of pieces) out += piece(ctx);
    return out;
  };
}

/** Whether a reason shows a regex's groups: its link then clears them before its condition runs. */
export function usesCaptures(parts: TemplateIr): boolean {
  return parts.some((p) => typeof p !== 'string' && 'capture' in p);
}

// ---- predicates

/** Strings compare ignoring case: fold both sides to lower case. */
function fold(x: unknown): unknown {
  if (typeof x === 'string') return x.toLowerCase();
  if (Array.isArray(x)) return x.map(fold);
  return x;
}

function num(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '') return Number(x);
  return NaN;
}

/** A test holds on a list when any element passes it (docs/language.md#conditions). */
function any(l: unknown, f: (x: unknown) => boolean): boolean {
  if (!Array.isArray(l)) return f(l);
  for (const x of l) if (f(x)) return true;
  return false;
}

type Pred = (left: unknown, right: unknown) => boolean;

/** Each predicate receives the right side already folded (and a compiled Pattern for `matches`). */
const PREDICATES: Record<Exclude<TestOp, 'exists' | 'missing'>, Pred> = {
  is: (l, r) => any(l, (x) => fold(x) === r),
  'is-not': (l, r) => !PREDICATES.is(l, r),
  // Membership only, never a substring test: a single value (an untyped one read at run
  // time) is a list of one.
  in: (l, r) => {
    const list = Array.isArray(r) ? r : r === undefined || r === null ? [] : [r];
    return any(l, (x) => list.includes(fold(x)));
  },
  'not-in': (l, r) => !PREDICATES.in(l, r),
  contains: (l, r) => typeof r === 'string' && any(l, (x) => typeof x === 'string' && x.toLowerCase().includes(r)),
  'starts-with': (l, r) =>
    typeof r === 'string' && any(l, (x) => typeof x === 'string' && x.toLowerCase().startsWith(r)),
  'ends-with': (l, r) => typeof r === 'string' && any(l, (x) => typeof x === 'string' && x.toLowerCase().endsWith(r)),
  matches: (l, r) => isPattern(r) && any(l, (x) => x !== undefined && x !== null && r.test(String(x))),
  '<': (l, r) => any(l, (x) => num(x) < num(r)),
  '<=': (l, r) => any(l, (x) => num(x) <= num(r)),
  '>': (l, r) => any(l, (x) => num(x) > num(r)),
  '>=': (l, r) => any(l, (x) => num(x) >= num(r)),
};

function prepareRight(op: TestOp, r: unknown): unknown {
  // A pattern read at run time (a setting, a row) that does not compile misses (docs/language.md#conditions).
  if (op === 'matches') return isPattern(r) ? r : typeof r === 'string' ? tryPattern(r) : undefined;
  return fold(r);
}

export function test(op: TestOp, left: ValueIr, right: ValueIr | undefined): Cond {
  if (op === 'exists' || op === 'missing') {
    if (!('header' in left)) throw new Error(`'${op}' applies to headers only`);
    const name = left.header;
    return op === 'exists' ? (ctx) => ctx.msg.has(name) : (ctx) => !ctx.msg.has(name);
  }
  if (!right) throw new Error(`'${op}' needs a value`);
  const l = getter(left);
  const p = PREDICATES[op];
  if (op === 'matches') return matchesCond(l, right);
  if ('lit' in right || 'regex' in right) {
    const r = prepareRight(op, getter(right)(undefined as unknown as MessageContext));
    return (ctx) => p(l(ctx), r);
  }
  const g = getter(right);
  return (ctx) => p(l(ctx), prepareRight(op, g(ctx)));
}

/** `matches`: on a hit, the groups of the first value that matched are kept for `{match.N}`. */
function matchesCond(l: Getter, right: ValueIr): Cond {
  const constant = 'lit' in right || 'regex' in right;
  const fixed = constant ? prepareRight('matches', getter(right)(undefined as unknown as MessageContext)) : undefined;
  const g = getter(right);
  return (ctx) => {
    const r = constant ? fixed : prepareRight('matches', g(ctx));
    if (!isPattern(r)) return false;
    const v = l(ctx);
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x === undefined || x === null) continue;
      const groups = r.groups(String(x));
      if (groups) {
        setCaptures(ctx, groups);
        return true;
      }
    }
    return false;
  };
}
