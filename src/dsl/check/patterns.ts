// The regex checks: a pattern the linear-time engine refuses is invalid (MM405) or needs
// backtracking (MM406). Regex literals and constant strings used as patterns (a `let`, a
// rule's pattern argument) are checked alike, each once however often it is used.
import type * as A from '../ast.js';
import { Codes, type DiagnosticSink } from '../diagnostics.js';
import type { Resolution } from '../resolve.js';
import { patternRefusal, type PatternError, type PatternOptions } from '../../patterns/patterns.js';

export class PatternChecks {
  private readonly checkedRegexes = new Set<A.RegexLit>();
  private readonly checkedPatterns = new Set<A.StringLit>();

  constructor(
    private readonly res: Resolution,
    private readonly sink: DiagnosticSink,
  ) {}

  /** A regex literal. */
  regex(v: A.RegexLit): void {
    if (this.checkedRegexes.has(v)) return; // a `let` used twice is reported once
    this.checkedRegexes.add(v);
    // Bad flags are MM104, reported by the lexer stage; check the pattern alone here.
    this.refused(v.span, patternRefusal(v.source, { flags: v.flags.replace(/[^imsu]/g, '') }));
  }

  /** A constant string used as a pattern, directly or through a `let`. */
  stringPattern(v: A.Value, opts: PatternOptions): void {
    let s: A.Value | undefined = v;
    if (s.kind === 'Path') {
      const b = this.res.paths.get(s);
      s = b?.kind === 'const' ? b.def.value : undefined;
    }
    if (s?.kind !== 'String' || this.checkedPatterns.has(s)) return;
    this.checkedPatterns.add(s);
    this.refused(s.span, patternRefusal(s.value, opts));
  }

  private refused(span: A.Node['span'], refusal: PatternError | undefined): void {
    if (!refusal) return;
    if (refusal.unsupported) {
      this.sink.error(
        span,
        Codes.BacktrackingRegex,
        `this regex cannot run in linear time: ${refusal.reason.replace(/;.*$/, '')}`,
        'regexes run on a linear-time engine (RE2), so a header cannot stall the server; ' +
          'test the parts separately, e.g. with a second `matches` or `not ... matches`',
      );
    } else this.sink.error(span, Codes.BadRegex, `invalid regex: ${refusal.reason}`);
  }
}
