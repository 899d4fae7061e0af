// The one place Chevrotain is loaded. Its package entry point is a tree of ~100 ES modules
// that takes ~360 ms to load; the single-file build shipped beside it (same version, same
// code) takes ~80 ms, and every `mailman` command and runner start pays this. All value
// imports go through here so that token types and parsers come from one instance; types
// still come from the package's declarations.
import type * as Chevrotain from 'chevrotain';

const entry = import.meta.resolve('chevrotain');
const chevrotain = (await import(new URL('../chevrotain.mjs', entry).href)) as typeof Chevrotain;

export const { createToken, Lexer, CstParser, EOF, tokenMatcher, createSyntaxDiagramsCode, generateCstDts } =
  chevrotain;
