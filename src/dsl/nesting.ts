// MM204: how deep a `let` or `rule` definition nests, counting the definitions it names at
// their own depth. Rules calling rules and lets naming lets are unfolded level by level by the
// later stages and at message time, so their nesting adds up like parentheses do.
import type * as A from './ast.js';

export class NestingDepths {
  private readonly depths = new Map<string, number>();

  /** How deep a definition nests. */
  measure(def: A.Definition): number {
    return def.kind === 'Let' ? this.valueDepth(def.value) : this.condDepth(def.condition);
  }

  /** The first definition of a name is the one later uses see. */
  remember(name: string, depth: number): void {
    if (!this.depths.has(name)) this.depths.set(name, depth);
  }

  /** Levels of a condition. */
  private condDepth(c: A.Condition): number {
    switch (c.kind) {
      case 'Or':
      case 'And':
        return 1 + c.operands.reduce((m, o) => Math.max(m, this.condDepth(o)), 0);
      case 'Not':
        return 1 + this.condDepth(c.operand);
      case 'Test': {
        const o = c.operand.kind === 'Convert' ? c.operand.of : c.operand;
        const left = o.kind === 'Header' ? 0 : o.kind === 'Ref' ? this.valueDepth(o.path) : this.valueDepth(o);
        const entries = o.kind === 'Ref' ? (o.args?.entries ?? []) : [];
        const args = entries.reduce((m, a) => Math.max(m, this.valueDepth(a.value)), 0);
        return Math.max(1, left, args, c.predicate?.value ? this.valueDepth(c.predicate.value) : 0);
      }
    }
  }

  private valueDepth(v: A.Value): number {
    if (v.kind === 'List') return 1 + v.items.reduce((m, i) => Math.max(m, this.valueDepth(i)), 0);
    if (v.kind === 'Path' && v.parts.length === 1) return 1 + (this.depths.get(v.parts[0].name) ?? 0);
    return 1;
  }
}
