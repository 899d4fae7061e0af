// Generated from grammar/parser.ts by grammar/generate.ts: do not edit.
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface ConditionCstNode extends CstNode {
  name: "condition";
  children: ConditionCstChildren;
}

export type ConditionCstChildren = {
  conjunct: (ConjunctCstNode)[];
  Or?: IToken[];
};

export interface ConjunctCstNode extends CstNode {
  name: "conjunct";
  children: ConjunctCstChildren;
}

export type ConjunctCstChildren = {
  negation: (NegationCstNode)[];
  And?: IToken[];
};

export interface NegationCstNode extends CstNode {
  name: "negation";
  children: NegationCstChildren;
}

export type NegationCstChildren = {
  Not?: IToken[];
  negation?: NegationCstNode[];
  LParen?: IToken[];
  condition?: ConditionCstNode[];
  RParen?: IToken[];
  test?: TestCstNode[];
};

export interface TestCstNode extends CstNode {
  name: "test";
  children: TestCstChildren;
}

export type TestCstChildren = {
  operand: OperandCstNode[];
  predicate?: PredicateCstNode[];
};

export interface OperandCstNode extends CstNode {
  name: "operand";
  children: OperandCstChildren;
}

export type OperandCstChildren = {
  path?: PathCstNode[];
  args?: ArgsCstNode[];
  key?: IToken[];
  conversion?: (ConversionCstNode)[];
  Header?: IToken[];
  StringLit?: IToken[];
  literal?: LiteralCstNode[];
};

export interface ConversionCstNode extends CstNode {
  name: "conversion";
  children: ConversionCstChildren;
}

export type ConversionCstChildren = {
  As?: IToken[];
  Name?: IToken[];
  Count?: IToken[];
};

export interface PredicateCstNode extends CstNode {
  name: "predicate";
  children: PredicateCstChildren;
}

export type PredicateCstChildren = {
  Is?: IToken[];
  Not?: (IToken)[];
  A?: IToken[];
  An?: IToken[];
  role?: IToken[];
  value?: (ValueCstNode)[];
  In?: IToken[];
  Contains?: IToken[];
  Matches?: IToken[];
  Starts?: IToken[];
  Ends?: IToken[];
  With?: IToken[];
  Less?: IToken[];
  LessEq?: IToken[];
  Greater?: IToken[];
  GreaterEq?: IToken[];
  Exists?: IToken[];
  Missing?: IToken[];
};

export interface ValueCstNode extends CstNode {
  name: "value";
  children: ValueCstChildren;
}

export type ValueCstChildren = {
  literal?: LiteralCstNode[];
  path?: PathCstNode[];
};

export interface LiteralCstNode extends CstNode {
  name: "literal";
  children: LiteralCstChildren;
}

export type LiteralCstChildren = {
  StringLit?: IToken[];
  RegexLit?: IToken[];
  NumberLit?: IToken[];
  Size?: IToken[];
  True?: IToken[];
  False?: IToken[];
  list?: ListCstNode[];
};

export interface ListCstNode extends CstNode {
  name: "list";
  children: ListCstChildren;
}

export type ListCstChildren = {
  LBracket: IToken[];
  value?: ValueCstNode[];
  Comma?: IToken[];
  RBracket: IToken[];
};

export interface PathCstNode extends CstNode {
  name: "path";
  children: PathCstChildren;
}

export type PathCstChildren = {
  Name: IToken[];
  Dot?: IToken[];
  Word?: IToken[];
};

export interface ArgsCstNode extends CstNode {
  name: "args";
  children: ArgsCstChildren;
}

export type ArgsCstChildren = {
  LParen: IToken[];
  arg?: ArgCstNode[];
  Comma?: IToken[];
  RParen: IToken[];
};

export interface ArgCstNode extends CstNode {
  name: "arg";
  children: ArgCstChildren;
}

export type ArgCstChildren = {
  Word: IToken[];
  Colon: IToken[];
  value: ValueCstNode[];
};

export interface FileCstNode extends CstNode {
  name: "file";
  children: FileCstChildren;
}

export type FileCstChildren = {
  useDecl?: UseDeclCstNode[];
  definition?: DefinitionCstNode[];
  chainDecl?: ChainDeclCstNode[];
  pipelineDecl?: PipelineDeclCstNode[];
};

export interface UseDeclCstNode extends CstNode {
  name: "useDecl";
  children: UseDeclCstChildren;
}

export type UseDeclCstChildren = {
  Use: IToken[];
  StringLit: IToken[];
};

export interface DefinitionCstNode extends CstNode {
  name: "definition";
  children: DefinitionCstChildren;
}

export type DefinitionCstChildren = {
  Let?: IToken[];
  Name?: (IToken)[];
  Equals?: (IToken)[];
  value?: ValueCstNode[];
  Rule?: IToken[];
  StringLit?: IToken[];
  condition?: ConditionCstNode[];
};

export interface ChainDeclCstNode extends CstNode {
  name: "chainDecl";
  children: ChainDeclCstChildren;
}

export type ChainDeclCstChildren = {
  Chain: IToken[];
  chainName: ChainNameCstNode[];
  StringLit?: IToken[];
  LBrace: IToken[];
  link?: LinkCstNode[];
  RBrace: IToken[];
};

export interface LinkCstNode extends CstNode {
  name: "link";
  children: LinkCstChildren;
}

export type LinkCstChildren = {
  ifLink?: IfLinkCstNode[];
  For?: IToken[];
  Name?: IToken[];
  In?: IToken[];
  path?: PathCstNode[];
  LBrace?: IToken[];
  link?: LinkCstNode[];
  RBrace?: IToken[];
  action?: ActionCstNode[];
};

export interface IfLinkCstNode extends CstNode {
  name: "ifLink";
  children: IfLinkCstChildren;
}

export type IfLinkCstChildren = {
  If: IToken[];
  condition: ConditionCstNode[];
  Then: IToken[];
  branch: (BranchCstNode)[];
  Else?: IToken[];
  ifLink?: IfLinkCstNode[];
};

export interface BranchCstNode extends CstNode {
  name: "branch";
  children: BranchCstChildren;
}

export type BranchCstChildren = {
  block?: BlockCstNode[];
  action?: ActionCstNode[];
};

export interface BlockCstNode extends CstNode {
  name: "block";
  children: BlockCstChildren;
}

export type BlockCstChildren = {
  LBrace: IToken[];
  link?: LinkCstNode[];
  RBrace: IToken[];
};

export interface ActionCstNode extends CstNode {
  name: "action";
  children: ActionCstChildren;
}

export type ActionCstChildren = {
  Accept?: IToken[];
  Hold?: IToken[];
  Reject?: IToken[];
  Discard?: IToken[];
  StringLit?: IToken[];
  Defer?: IToken[];
  Stop?: IToken[];
  Jump?: IToken[];
  Detour?: IToken[];
  target?: TargetCstNode[];
  Run?: IToken[];
  Name?: IToken[];
  args?: (ArgsCstNode)[];
  unknown?: IToken[];
};

export interface TargetCstNode extends CstNode {
  name: "target";
  children: TargetCstChildren;
}

export type TargetCstChildren = {
  chainName?: ChainNameCstNode[];
  To?: IToken[];
  path?: (PathCstNode)[];
  Otherwise?: IToken[];
};

export interface ChainNameCstNode extends CstNode {
  name: "chainName";
  children: ChainNameCstChildren;
}

export type ChainNameCstChildren = {
  ChainName: IToken[];
};

export interface PipelineDeclCstNode extends CstNode {
  name: "pipelineDecl";
  children: PipelineDeclCstChildren;
}

export type PipelineDeclCstChildren = {
  Pipeline: IToken[];
  Name: IToken[];
  From?: IToken[];
  base?: IToken[];
  StringLit?: IToken[];
  LBrace: IToken[];
  step?: StepCstNode[];
  stepEdit?: StepEditCstNode[];
  RBrace: IToken[];
};

export interface StepEditCstNode extends CstNode {
  name: "stepEdit";
  children: StepEditCstChildren;
}

export type StepEditCstChildren = {
  Before?: IToken[];
  After?: IToken[];
  Replace?: IToken[];
  anchor?: (IToken)[];
  Colon?: IToken[];
  step?: StepCstNode[];
  Without?: IToken[];
};

export interface StepCstNode extends CstNode {
  name: "step";
  children: StepCstChildren;
}

export type StepCstChildren = {
  Name: IToken[];
  args?: ArgsCstNode[];
  When?: IToken[];
  condition?: ConditionCstNode[];
};

export interface ICstNodeVisitor<IN, OUT> extends ICstVisitor<IN, OUT> {
  condition(children: ConditionCstChildren, param?: IN): OUT;
  conjunct(children: ConjunctCstChildren, param?: IN): OUT;
  negation(children: NegationCstChildren, param?: IN): OUT;
  test(children: TestCstChildren, param?: IN): OUT;
  operand(children: OperandCstChildren, param?: IN): OUT;
  conversion(children: ConversionCstChildren, param?: IN): OUT;
  predicate(children: PredicateCstChildren, param?: IN): OUT;
  value(children: ValueCstChildren, param?: IN): OUT;
  literal(children: LiteralCstChildren, param?: IN): OUT;
  list(children: ListCstChildren, param?: IN): OUT;
  path(children: PathCstChildren, param?: IN): OUT;
  args(children: ArgsCstChildren, param?: IN): OUT;
  arg(children: ArgCstChildren, param?: IN): OUT;
  file(children: FileCstChildren, param?: IN): OUT;
  useDecl(children: UseDeclCstChildren, param?: IN): OUT;
  definition(children: DefinitionCstChildren, param?: IN): OUT;
  chainDecl(children: ChainDeclCstChildren, param?: IN): OUT;
  link(children: LinkCstChildren, param?: IN): OUT;
  ifLink(children: IfLinkCstChildren, param?: IN): OUT;
  branch(children: BranchCstChildren, param?: IN): OUT;
  block(children: BlockCstChildren, param?: IN): OUT;
  action(children: ActionCstChildren, param?: IN): OUT;
  target(children: TargetCstChildren, param?: IN): OUT;
  chainName(children: ChainNameCstChildren, param?: IN): OUT;
  pipelineDecl(children: PipelineDeclCstChildren, param?: IN): OUT;
  stepEdit(children: StepEditCstChildren, param?: IN): OUT;
  step(children: StepCstChildren, param?: IN): OUT;
}
