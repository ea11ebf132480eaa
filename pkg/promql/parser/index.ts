export type {
  AggregateExpr,
  AtPreprocessor,
  BinaryExpr,
  Call,
  Expr,
  MatrixSelector,
  NumberLiteral,
  ParenExpr,
  StringLiteral,
  SubqueryExpr,
  TimeModifiers,
  UnaryExpr,
  VectorMatching,
  VectorSelector,
} from './ast.js';
export { Card, NodeKind, ValueKind, comparisonOps, documentedType, setOps, typeOf } from './ast.js';
export type { FunctionInfo } from './functions.js';
export { getFunction } from './functions.js';
export { formatDuration, parseDurationMs, parseNumber, quoteString, unquoteString } from './lex-values.js';
export { parseExpr, parseSeriesSelector, startOf } from './parse.js';
export { ParseError, lineCol } from './parse-errors.js';
export { exprToString, prettyPrint } from './printer.js';
export { extractSelectors } from './selectors.js';
export { maxNestingDepth } from './nesting.js';
