// The grammar of docs/language.md#grammar as a Chevrotain CstParser. Rules only consume tokens and call
// subrules: no actions, no meaning. The concrete syntax tree keeps every token, so the AST
// builder, the formatter and a future language server all start from the same tree.
//
// Two places accept more than the EBNF, so that src/dsl can say precisely what is wrong
// instead of a generic "expected ...":
//   - `file` takes definitions, chains and pipelines in any number and order (MM203 then
//     says "exactly one chain or pipeline, last");
//   - `action` takes any NAME with optional arguments (MM202 then says "unknown action",
//     with a suggestion such as `run NAME`).
import type { CstNode, IToken } from 'chevrotain';
import * as T from './tokens.js';
import { parseLimitProblem, type LimitProblem } from './limits.js';
import { ConditionRules } from './parser-conditions.js';

/** The whole grammar: files, chains and pipelines here, conditions and values in its base. */
export class DslParser extends ConditionRules {
  constructor() {
    super();
    this.performSelfAnalysis();
  }

  // file = { use | definition | chain | pipeline }   (uses first, then definitions, then
  // exactly one chain or pipeline, or none in a .rules file: MM203)
  public file = this.RULE('file', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.useDecl) },
        { ALT: () => this.SUBRULE(this.definition) },
        { ALT: () => this.SUBRULE(this.chainDecl) },
        { ALT: () => this.SUBRULE(this.pipelineDecl) },
      ]);
    });
  });

  // use = "use" STRING   (a NAME.rules file whose definitions come into scope)
  public useDecl = this.RULE('useDecl', () => {
    this.CONSUME(T.Use);
    this.CONSUME(T.StringLit);
  });

  // definition = "let" NAME "=" value | "rule" NAME [ STRING ] "=" condition
  public definition = this.RULE('definition', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Let);
          this.CONSUME(T.Name);
          this.CONSUME(T.Equals);
          this.SUBRULE(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.RuleKw);
          this.CONSUME2(T.Name);
          this.OPTION(() => this.CONSUME(T.StringLit));
          this.CONSUME2(T.Equals);
          this.SUBRULE(this.condition);
        },
      },
    ]);
  });

  // chain = "chain" chain-name [ STRING ] "{" { link } "}"
  public chainDecl = this.RULE('chainDecl', () => {
    this.CONSUME(T.Chain);
    this.SUBRULE(this.chainName);
    this.OPTION(() => this.CONSUME(T.StringLit));
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.link));
    this.CONSUME(T.RBrace);
  });

  // link = if-link | action | "for" NAME "in" path "{" { link } "}"
  public link = this.RULE('link', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.ifLink) },
      {
        ALT: () => {
          this.CONSUME(T.For);
          this.CONSUME(T.Name);
          this.CONSUME(T.In);
          this.SUBRULE(this.path);
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.link));
          this.CONSUME(T.RBrace);
        },
      },
      { ALT: () => this.SUBRULE2(this.action) },
    ]);
  });

  // if-link = "if" condition "then" branch [ "else" ( if-link | branch ) ]
  public ifLink = this.RULE('ifLink', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.condition);
    this.CONSUME(T.Then);
    this.SUBRULE(this.branch);
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([{ ALT: () => this.SUBRULE(this.ifLink) }, { ALT: () => this.SUBRULE2(this.branch) }]);
    });
  });

  // branch = action | block
  public branch = this.RULE('branch', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.block) }, { ALT: () => this.SUBRULE(this.action) }]);
  });

  // block = "{" { link } "}"
  public block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.link));
    this.CONSUME(T.RBrace);
  });

  // action = "accept" | ("hold"|"reject"|"discard") [STRING] | "defer" | "stop"
  //        | ("jump"|"detour") target | "run" NAME [args]
  //        | NAME [args]                     (not an action: MM202, reported in src/dsl)
  public action = this.RULE('action', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Accept) },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Hold) },
            { ALT: () => this.CONSUME(T.Reject) },
            { ALT: () => this.CONSUME(T.Discard) },
          ]);
          this.OPTION(() => this.CONSUME(T.StringLit));
        },
      },
      { ALT: () => this.CONSUME(T.Defer) },
      { ALT: () => this.CONSUME(T.Stop) },
      {
        ALT: () => {
          this.OR3([{ ALT: () => this.CONSUME(T.Jump) }, { ALT: () => this.CONSUME(T.Detour) }]);
          this.SUBRULE(this.target);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Run);
          this.CONSUME(T.Name);
          this.OPTION2(() => this.SUBRULE(this.args));
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Name, { LABEL: 'unknown' });
          this.OPTION3(() => this.SUBRULE2(this.args));
        },
      },
    ]);
  });

  // target = chain-name | "to" path [ "otherwise" path ]
  public target = this.RULE('target', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.chainName) },
      {
        ALT: () => {
          this.CONSUME(T.To);
          this.SUBRULE(this.path);
          this.OPTION(() => {
            this.CONSUME(T.Otherwise);
            this.SUBRULE2(this.path);
          });
        },
      },
    ]);
  });

  // chain-name = NAME | "accept" | "hold" | "reject" | "discard"
  public chainName = this.RULE('chainName', () => {
    this.CONSUME(T.ChainName);
  });

  // pipeline = "pipeline" NAME [ "from" NAME ] [ STRING ] "{" { step | step-edit } "}"
  public pipelineDecl = this.RULE('pipelineDecl', () => {
    this.CONSUME(T.Pipeline);
    this.CONSUME(T.Name);
    this.OPTION2(() => {
      this.CONSUME(T.From);
      this.CONSUME2(T.Name, { LABEL: 'base' });
    });
    this.OPTION(() => this.CONSUME(T.StringLit));
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.step) }, { ALT: () => this.SUBRULE(this.stepEdit) }]);
    });
    this.CONSUME(T.RBrace);
  });

  // step-edit = ( "before" | "after" | "replace" ) NAME ":" step | "without" NAME
  public stepEdit = this.RULE('stepEdit', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Before) },
            { ALT: () => this.CONSUME(T.After) },
            { ALT: () => this.CONSUME(T.Replace) },
          ]);
          this.CONSUME(T.Name, { LABEL: 'anchor' });
          this.CONSUME(T.Colon);
          this.SUBRULE(this.step);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Without);
          this.CONSUME2(T.Name, { LABEL: 'anchor' });
        },
      },
    ]);
  });

  // step = NAME [ args ] [ "when" condition ]
  public step = this.RULE('step', () => {
    this.CONSUME(T.Name);
    this.OPTION(() => this.SUBRULE(this.args));
    this.OPTION2(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.condition);
    });
  });
}

/** The parser, built once per process (self-analysis is the slow part); re-fed via `input`. */
export const dslParser = new DslParser();

export type StartRule = 'file' | 'condition' | 'path';

/**
 * Parses tokens from a start rule; errors are left in `dslParser.errors`. Tokens past a limit
 * of limits.ts (too deep, too many) are not parsed at all, since the parser would overflow
 * the stack: the tree is then an empty node of the start rule, with no parser error, and
 * `refused` says why (src/dsl reports it as a diagnostic).
 */
export function parseTokens(tokens: IToken[], start: StartRule = 'file'): CstNode & { refused?: LimitProblem } {
  const refused = parseLimitProblem(tokens);
  if (refused) {
    dslParser.input = [];
    return { name: start, children: {}, refused };
  }
  dslParser.input = tokens;
  return dslParser[start]();
}
