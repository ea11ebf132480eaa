/**
 * The nesting limit. The parser, the checks, the printer, the type and the evaluator all walk the
 * AST recursively, and a JavaScript stack holds some thousands of frames, so a query such as
 * 10,000 nested parentheses, a 100,000-term `a+a+…` or a chain of `-` would overflow it:
 * `Maximum call stack size exceeded` (a 500, or a 400 depending on the stack left). Queries deeper
 * than the limit are refused with a parse error before any recursive walk runs.
 *
 * Three checks: one over the text, for parentheses, before Lezer runs (Lezer recovers from very
 * deep input slowly: a second for 10,000 nested calls); a stack overflow inside Lezer itself (it
 * builds its tree recursively: `1+1+…` with 5,000 terms); and one over Lezer's tree, iteratively,
 * for every kind of nesting (binary and unary chains, calls, aggregations, subqueries, durations).
 */
import type { Tree } from '@lezer/common';
import { ParseError } from './parse-errors.js';

/**
 * The deepest nesting a query may have. Generated queries stay far below (a Grafana dashboard's
 * deepest is some tens). It is also what Lezer parses of a left-associative chain (`a + b + …`):
 * 150 levels after the chain passes 2,000 characters (300 reductions spanning as much, two per
 * level), Lezer closes it by force and the rest is a syntax error. With this limit such a chain is
 * refused by this message instead, whatever the length of its terms. Every recursive walk of the
 * AST handles 150 levels in a worker thread with a 1 MB stack, with several times that to spare
 * (nesting.test.ts).
 */
export const maxNestingDepth = 150;

/** Lezer nodes that nest an expression (or a duration expression) inside another. */
const nestingNodes = new Set([
  'AggregateExpr',
  'AnchoredExpr',
  'BinaryExpr',
  'DurationExpr',
  'FunctionCall',
  'MatrixSelector',
  'OffsetDurationExpr',
  'OffsetExpr',
  'ParenExpr',
  'SmoothedExpr',
  'StepInvariantExpr',
  'SubqueryExpr',
  'UnaryExpr',
]);

export function tooDeep(input: string, pos: number): ParseError {
  return new ParseError(input, pos, `query is nested too deeply: more than ${maxNestingDepth} levels`);
}

/** Refuses more than maxNestingDepth open parentheses (strings and comments skipped). */
export function checkParenDepth(input: string): void {
  let depth = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '(') {
      if (++depth > maxNestingDepth) throw tooDeep(input, i);
    } else if (c === ')') {
      if (depth > 0) depth--;
    } else if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < input.length && input[i] !== c) i += c !== '`' && input[i] === '\\' ? 2 : 1;
    } else if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
    }
  }
}

/** Refuses a tree with more than maxNestingDepth nested expressions, without recursion. */
export function checkTreeDepth(input: string, tree: Tree): void {
  const cur = tree.cursor();
  // Whether each node on the path from the root to the cursor counts as a level.
  const counted: boolean[] = [];
  let depth = 0;
  for (;;) {
    const nests = nestingNodes.has(cur.name);
    if (nests && ++depth > maxNestingDepth) throw tooDeep(input, cur.from);
    counted.push(nests);
    if (cur.firstChild()) continue;
    // Leave this node, then each ancestor that has no next sibling.
    for (;;) {
      if (counted.pop() === true) depth--;
      if (cur.nextSibling()) break;
      if (!cur.parent()) return;
    }
  }
}
