// The checker type of a value or operand, after names are resolved: what every MM4xx check
// compares against. `unknown` where resolution failed, so one mistake is reported once.
import type * as A from '../ast.js';
import type { Resolution } from '../resolve.js';
import { elem, type Ty } from '../types.js';

export function typeOf(v: A.Value | A.Operand, res: Resolution): Ty {
  switch (v.kind) {
    case 'String':
      return 'string';
    case 'Number':
      return 'number';
    case 'Size':
      return 'size';
    case 'Bool':
      return 'bool';
    case 'Regex':
      return 'regex';
    case 'List': {
      const types = new Set(v.items.map((i) => elem(typeOf(i, res))));
      const [only] = types;
      return types.size === 1 ? (`${only}[]` as Ty) : 'unknown[]';
    }
    case 'Header':
      return 'string[]';
    case 'Convert':
      return 'number';
    case 'Ref':
      return typeOf(v.path, res);
    case 'Path': {
      const b = res.paths.get(v);
      if (!b) return 'unknown';
      switch (b.kind) {
        case 'const':
          return typeOf(b.def.value, res);
        case 'rule':
        case 'local-rule':
          return 'bool';
        default:
          return b.type;
      }
    }
  }
}

/** A `jump to` value that is a disposition or a chain never lets the chain go on. */
export function neverDefers(p: A.Path, res: Resolution): boolean {
  const t = typeOf(p, res);
  return t === 'disposition' || t === 'chain';
}

/** Whether a path reads the message or its metadata (text a sender chose). */
export function fromMessage(p: A.Path, res: Resolution): boolean {
  const b = res.paths.get(p);
  if (b?.kind === 'const') return b.def.value.kind === 'Path' && fromMessage(b.def.value, res);
  return b?.kind === 'message' || b?.kind === 'msgdata';
}
