// The grammar's conditions and values (docs/language.md#grammar, `condition` down to `arg`), as
// the base class of parser.ts's DslParser, which adds files, chains and pipelines and runs
// Chevrotain's self-analysis over both (fast-parse-conditions.ts is split the same way).
import { CstParser } from './chevrotain.js';
import { errorMessages } from './error-messages.js';
import * as T from './tokens.js';

export abstract class ConditionRules extends CstParser {
  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'onlyOffset',
      errorMessageProvider: errorMessages,
    });
  }

  // condition = conjunct { "or" conjunct }
  public condition = this.RULE('condition', () => {
    this.SUBRULE(this.conjunct);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.conjunct);
    });
  });

  // conjunct = negation { "and" negation }
  public conjunct = this.RULE('conjunct', () => {
    this.SUBRULE(this.negation);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.negation);
    });
  });

  // negation = "not" negation | "(" condition ")" | test
  public negation = this.RULE('negation', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.negation);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.condition);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.test) },
    ]);
  });

  // test = operand [ predicate ]
  public test = this.RULE('test', () => {
    this.SUBRULE(this.operand);
    this.OPTION(() => this.SUBRULE(this.predicate));
  });

  // operand = path [ args ] [ STRING ] [ conversion ] | "header" STRING [ conversion ] | literal
  //   (the STRING names a header of a MIME part: `part.header "X-Scan"`)
  public operand = this.RULE('operand', () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.path);
          this.OPTION(() => this.SUBRULE(this.args));
          this.OPTION4(() => this.CONSUME2(T.StringLit, { LABEL: 'key' }));
          this.OPTION2(() => this.SUBRULE(this.conversion));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Header);
          this.CONSUME(T.StringLit);
          this.OPTION3(() => this.SUBRULE2(this.conversion));
        },
      },
      { ALT: () => this.SUBRULE(this.literal) },
    ]);
  });

  // conversion = "as" NAME | "count"
  public conversion = this.RULE('conversion', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.As);
          this.CONSUME(T.Name);
        },
      },
      { ALT: () => this.CONSUME(T.Count) },
    ]);
  });

  // predicate = "is" [ "not" ] ( ( "a" | "an" ) NAME | value ) | [ "not" ] "in" value
  //           | "contains" value | "matches" value | ( "starts" | "ends" ) "with" value
  //           | ( "<" | "<=" | ">" | ">=" ) value | "exists" | "missing"
  public predicate = this.RULE('predicate', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Is);
          this.OPTION(() => this.CONSUME(T.Not));
          this.OR2([
            {
              ALT: () => {
                this.OR3([{ ALT: () => this.CONSUME(T.A) }, { ALT: () => this.CONSUME(T.An) }]);
                this.CONSUME(T.Name, { LABEL: 'role' });
              },
            },
            { ALT: () => this.SUBRULE(this.value) },
          ]);
        },
      },
      {
        ALT: () => {
          this.OPTION2(() => this.CONSUME2(T.Not));
          this.CONSUME(T.In);
          this.SUBRULE2(this.value);
        },
      },
      {
        ALT: () => {
          this.OR4([
            { ALT: () => this.CONSUME(T.Contains) },
            { ALT: () => this.CONSUME(T.Matches) },
            {
              ALT: () => {
                this.OR5([{ ALT: () => this.CONSUME(T.Starts) }, { ALT: () => this.CONSUME(T.Ends) }]);
                this.CONSUME(T.With);
              },
            },
            { ALT: () => this.CONSUME(T.Less) },
            { ALT: () => this.CONSUME(T.LessEq) },
            { ALT: () => this.CONSUME(T.Greater) },
            { ALT: () => this.CONSUME(T.GreaterEq) },
          ]);
          this.SUBRULE3(this.value);
        },
      },
      { ALT: () => this.CONSUME(T.Exists) },
      { ALT: () => this.CONSUME(T.Missing) },
    ]);
  });

  // value = literal | path
  public value = this.RULE('value', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.literal) }, { ALT: () => this.SUBRULE(this.path) }]);
  });

  // literal = STRING | REGEX | NUMBER | SIZE | "true" | "false" | list
  public literal = this.RULE('literal', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.RegexLit) },
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.Size) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  // list = "[" [ value { "," value } ] "]"
  public list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(T.RBracket);
  });

  // path = NAME { "." WORD }
  public path = this.RULE('path', () => {
    this.CONSUME(T.Name);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Word);
    });
  });

  // args = "(" [ arg { "," arg } ] ")"
  public args = this.RULE('args', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) });
    this.CONSUME(T.RParen);
  });

  // arg = WORD ":" value
  public arg = this.RULE('arg', () => {
    this.CONSUME(T.Word);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });
}
