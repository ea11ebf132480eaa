/**
 * PromQL text → our AST, over the Lezer grammar Prometheus ships.
 *
 * Lezer gives us tokens and the shape of every primary expression (selectors, calls, aggregations,
 * parentheses), but its tree is not faithful to PromQL's operator precedence where postfix
 * operators (`[5m]`, `[1h:1m]`, `offset`, `@`) meet binary or unary ones: `a / b[1h:]` can come
 * back as `(a / b)[1h:]`. So we flatten each expression into its source-order sequence of prefix
 * operators, primaries, postfix operators and binary operators, and rebuild the tree with
 * Prometheus' precedence (postfix > `^` (right) > unary > `* / % atan2` > `+ -` > comparisons >
 * `and unless` > `or`).
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';
import { Matcher, MatchType, MetricName, RegexpSyntaxError } from '../../model/labels/index.js';
import type { BinaryExpr, Expr, VectorMatching, VectorSelector } from './ast.js';
import { Card, NodeKind } from './ast.js';
import { checkBinary, checkCall, checkAggregate, checkUnary } from './check.js';
import { getFunction } from './functions.js';
import { checkParenDepth, checkTreeDepth, tooDeep } from './nesting.js';
import { ParseError, syntaxError } from './parse-errors.js';
import { parseDurationMs, parseNumber, unquoteString } from './lex-values.js';

const binaryOps: Record<string, { op: string; prec: number }> = {
  Pow: { op: '^', prec: 6 },
  Mul: { op: '*', prec: 5 },
  Div: { op: '/', prec: 5 },
  Mod: { op: '%', prec: 5 },
  Atan2: { op: 'atan2', prec: 5 },
  Add: { op: '+', prec: 4 },
  Sub: { op: '-', prec: 4 },
  Eql: { op: '==', prec: 3 },
  Neq: { op: '!=', prec: 3 },
  Gte: { op: '>=', prec: 3 },
  Gtr: { op: '>', prec: 3 },
  Lte: { op: '<=', prec: 3 },
  Lss: { op: '<', prec: 3 },
  And: { op: 'and', prec: 2 },
  Unless: { op: 'unless', prec: 2 },
  Or: { op: 'or', prec: 1 },
};
const powPrec = 6;
/** Go's math.MaxInt64 as a float: the largest @ time in ms. */
const maxInt64 = 2 ** 63;

type Item =
  | { t: 'atom'; e: Expr; pos: number }
  | { t: 'unary'; op: '-' | '+'; pos: number }
  | { t: 'postfix'; node: SyntaxNode }
  | { t: 'binop'; node: SyntaxNode; op: string; prec: number; pos: number };

/** Where a check failed: an operand, the binary operator, or (undefined) the whole expression. */
type FailAt = Expr | 'op' | undefined;

/** Parses a PromQL expression; throws ParseError. */
export function parseExpr(input: string): Expr {
  return new Converter(input).run();
}

/** Parses a series selector such as `up{job="x"}` (used by the API's match[] and by tests). */
export function parseSeriesSelector(input: string): Matcher[] {
  const e = parseExpr(input);
  if (e.kind !== NodeKind.VectorSelector) {
    throw new ParseError(input, 0, `expected type vector selector, got ${e.kind === NodeKind.MatrixSelector ? 'range vector' : 'expression'}`);
  }
  return [...e.matchers];
}

/** Start offset in the query text of every expression parsed (error and annotation positions). */
const starts = new WeakMap<Expr, number>();

/** Where `e` starts in the text it was parsed from, if it came from parseExpr. */
export function startOf(e: Expr): number | undefined {
  return starts.get(e);
}

class Converter {
  readonly #input: string;
  constructor(input: string) {
    this.#input = input;
  }

  run(): Expr {
    checkParenDepth(this.#input);
    const tree = parseTree(this.#input);
    // Before anything recurses over the tree; also before syntax errors, since Lezer gives up on
    // input too deep for it with one.
    checkTreeDepth(this.#input, tree);
    const top = tree.topNode;
    let err: SyntaxNode | null = null;
    tree.iterate({
      enter: (n) => {
        if (err !== null) return false;
        if (n.type.isError) err = n.node;
        return undefined;
      },
    });
    if (children(top).every((c) => c.type.isError && c.from === c.to && c.from >= this.#input.trimEnd().length)) {
      if (/^\s*(#[^\n]*\n?\s*)*$/.test(this.#input)) throw new ParseError(this.#input, 0, 'no expression found in input');
    }
    if (err !== null) throw syntaxError(this.#input, (err as SyntaxNode).from);
    const expr = children(top)[0];
    if (expr === undefined) throw new ParseError(this.#input, 0, 'no expression found in input');
    return this.expr(expr);
  }

  fail(n: { from: number } | number, msg: string): never {
    throw new ParseError(this.#input, typeof n === 'number' ? n : n.from, msg);
  }

  /** A failure callback for the checks: at the operand named, else at `fallback`. */
  private failAt(fallback: number, opPos = fallback): (msg: string, at?: FailAt) => never {
    return (msg, at) => {
      if (at === undefined) return this.fail(fallback, msg);
      if (at === 'op') return this.fail(opPos, msg);
      return this.fail(starts.get(at) ?? fallback, msg);
    };
  }

  private started<E extends Expr>(e: E, pos: number): E {
    if (!starts.has(e)) starts.set(e, pos);
    return e;
  }

  text(n: SyntaxNode): string {
    return this.#input.slice(n.from, n.to);
  }

  /** Converts one `expr` node: flatten, then rebuild with PromQL precedence. */
  expr(n: SyntaxNode): Expr {
    const items: Item[] = [];
    this.flatten(n, items);
    const state = { i: 0 };
    const e = this.climb(items, state, 0);
    if (state.i !== items.length) throw new Error('BUG: leftover items after precedence climbing');
    return e;
  }

  private flatten(n: SyntaxNode, out: Item[]): void {
    switch (n.name) {
      case 'BinaryExpr': {
        const kids = children(n);
        this.flatten(kids[0], out);
        const opNode = kids[1];
        const def = binaryOps[opNode.name];
        if (def === undefined) this.fail(opNode, `binary expression does not support operator "${this.text(opNode)}"`);
        out.push({ t: 'binop', node: n, op: def.op, prec: def.prec, pos: opNode.from });
        this.flatten(kids[kids.length - 1], out);
        return;
      }
      case 'UnaryExpr': {
        const kids = children(n);
        out.push({ t: 'unary', op: this.text(kids[0]) as '-' | '+', pos: n.from });
        this.flatten(kids[1], out);
        return;
      }
      case 'MatrixSelector':
      case 'SubqueryExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
        this.flatten(children(n)[0], out);
        out.push({ t: 'postfix', node: n });
        return;
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        this.fail(n, `${n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'} modifier is not supported`);
        break;
      case 'NumberDurationLiteral': {
        // A sign lexed into the literal is a unary operator for precedence: -2^2 is -(2^2).
        const sign = this.text(n)[0];
        if (sign === '-' || sign === '+') out.push({ t: 'unary', op: sign, pos: n.from });
        out.push({ t: 'atom', e: this.number(n), pos: n.from });
        return;
      }
      default:
        out.push({ t: 'atom', e: this.primary(n), pos: n.from });
    }
  }

  private climb(items: Item[], st: { i: number }, minPrec: number): Expr {
    let lhs = this.unaryOrAtom(items, st);
    for (;;) {
      const it = items[st.i];
      if (it === undefined || it.t !== 'binop' || it.prec < minPrec) return lhs;
      st.i++;
      const rhs = this.climb(items, st, it.prec === powPrec ? it.prec : it.prec + 1);
      const start = starts.get(lhs) ?? it.pos;
      lhs = this.started(this.binary(it.node, it.op, lhs, rhs, start, it.pos), start);
    }
  }

  private unaryOrAtom(items: Item[], st: { i: number }): Expr {
    const it = items[st.i++];
    if (it === undefined) throw new Error('BUG: missing operand');
    if (it.t === 'unary') {
      const operand = this.climb(items, st, powPrec);
      if (operand.kind === NodeKind.Number) {
        if (it.op === '+') return operand;
        return this.started({ kind: NodeKind.Number, value: -operand.value, duration: operand.duration }, it.pos);
      }
      checkUnary(operand, (m) => this.fail(it.pos, m));
      return this.started({ kind: NodeKind.Unary, op: it.op, expr: operand }, it.pos);
    }
    if (it.t !== 'atom') throw new Error(`BUG: unexpected ${it.t} where an operand belongs`);
    let e = this.started(it.e, it.pos);
    while (st.i < items.length) {
      const p = items[st.i];
      if (p.t !== 'postfix') break;
      st.i++;
      e = this.started(this.postfix(p.node, e), it.pos);
    }
    return e;
  }

  private primary(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'StringLiteral':
        return { kind: NodeKind.String, value: this.string(n) };
      case 'ParenExpr':
        return { kind: NodeKind.Paren, expr: this.expr(children(n)[0]) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      default:
        return this.fail(n, `unexpected ${n.name}`);
    }
  }

  /** The unsigned number of a literal (its sign is a separate unary item). */
  private number(n: SyntaxNode): Expr {
    const text = this.text(n).replace(/^[+-]\s*/, '');
    const v = parseNumber(text);
    if (v !== null) return { kind: NodeKind.Number, value: v, duration: false };
    const d = parseDurationMs(text);
    if (d === null) this.fail(n, `bad number or duration syntax: "${text}"`);
    return { kind: NodeKind.Number, value: d / 1000, duration: true };
  }

  string(n: SyntaxNode): string {
    try {
      return unquoteString(this.text(n));
    } catch (err) {
      return this.fail(n, (err as Error).message);
    }
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    let name = '';
    const matchers: Matcher[] = [];
    for (const c of children(n)) {
      if (c.name === 'Identifier') name = this.text(c);
      else if (c.name === 'LabelMatchers') {
        for (const m of children(c)) matchers.push(this.matcher(m));
      }
    }
    if (name !== '') {
      for (const m of matchers) {
        if (m.name === MetricName) this.fail(n, `metric name must not be set twice: "${name}" or "${m.value}"`);
      }
      matchers.unshift(new Matcher(MatchType.Equal, MetricName, name));
    }
    if (!matchers.some((m) => !m.matches(''))) {
      this.fail(n, 'vector selector must contain at least one non-empty matcher');
    }
    return { kind: NodeKind.VectorSelector, name, matchers, offset: 0, timestamp: null, startOrEnd: null };
  }

  private matcher(n: SyntaxNode): Matcher {
    const kids = children(n);
    if (n.name === 'QuotedLabelName') return new Matcher(MatchType.Equal, MetricName, this.string(kids[0]));
    const nameNode = kids[0];
    const label = nameNode.name === 'QuotedLabelName' ? this.string(children(nameNode)[0]) : this.text(nameNode);
    const op = this.text(kids[1]) as MatchType;
    const value = this.string(kids[2]);
    try {
      return new Matcher(op, label, value);
    } catch (err) {
      if (err instanceof RegexpSyntaxError) return this.fail(n, err.message);
      throw err;
    }
  }

  private grouping(n: SyntaxNode): string[] {
    return children(n).map((c) => (c.name === 'QuotedLabelName' ? this.string(children(c)[0]) : this.text(c)));
  }

  private call(n: SyntaxNode): Expr {
    const [ident, body] = children(n);
    const name = this.text(ident);
    const func = getFunction(name);
    if (func === undefined) this.fail(ident, `unknown function with name "${name}"`);
    const args = children(body).map((a) => this.expr(a));
    checkCall(func, args, this.failAt(n.from));
    return { kind: NodeKind.Call, func, args };
  }

  private aggregate(n: SyntaxNode): Expr {
    let op = '';
    let grouping: string[] = [];
    let without = false;
    let body: SyntaxNode | null = null;
    for (const c of children(n)) {
      if (c.name === 'AggregateOp') op = this.text(c).toLowerCase();
      else if (c.name === 'FunctionCallBody') body = c;
      else if (c.name === 'AggregateModifier') {
        const [kw, labels] = children(c);
        without = kw.name === 'Without';
        grouping = this.grouping(labels);
      }
    }
    if (body === null) this.fail(n, 'BUG: aggregation without body');
    const args = children(body).map((a) => this.expr(a));
    return checkAggregate(op, args, grouping, without, this.failAt(n.from));
  }

  private binary(n: SyntaxNode, op: string, lhs: Expr, rhs: Expr, pos: number, opPos: number): BinaryExpr {
    let returnBool = false;
    let matching: VectorMatching | null = null;
    for (const c of children(n)) {
      if (c.name === 'BoolModifier') returnBool = true;
      else if (c.name === 'FillModifier') this.fail(c, 'fill modifiers are not supported');
      else if (c.name === 'MatchingModifierClause') {
        const kids = children(c);
        const on = kids[0].name === 'On';
        const matchingLabels = this.grouping(kids[1]);
        let card: Card = Card.OneToOne;
        let include: string[] = [];
        if (kids.length > 2) {
          card = kids[2].name === 'GroupLeft' ? Card.ManyToOne : Card.OneToMany;
          if (kids.length > 3) include = this.grouping(kids[3]);
        }
        matching = { card, matchingLabels, on, include };
      }
    }
    return checkBinary(op, lhs, rhs, returnBool, matching, this.failAt(pos, opPos));
  }

  private postfix(n: SyntaxNode, target: Expr): Expr {
    const kids = children(n);
    switch (n.name) {
      case 'MatrixSelector': {
        if (target.kind !== NodeKind.VectorSelector) this.fail(n, 'ranges only allowed for vector selectors');
        if (target.offset !== 0) this.fail(n, 'no offset modifiers allowed before range');
        if (target.timestamp !== null || target.startOrEnd !== null) this.fail(n, 'no @ modifiers allowed before range');
        return { kind: NodeKind.MatrixSelector, vector: target, range: this.duration(kids[1]) };
      }
      case 'SubqueryExpr': {
        const durs = kids.filter((k) => k.name === 'DurationExpr');
        const range = this.duration(durs[0]);
        const step = durs.length > 1 ? this.duration(durs[1]) : 0;
        return { kind: NodeKind.Subquery, expr: target, range, step, offset: 0, timestamp: null, startOrEnd: null };
      }
      case 'OffsetExpr':
        this.setOffset(n, target, this.offsetDuration(kids[kids.length - 1]));
        return target;
      case 'StepInvariantExpr':
        this.setAt(n, target, kids);
        return target;
      default:
        return this.fail(n, `unexpected ${n.name}`);
    }
  }

  private modifiable(n: SyntaxNode, target: Expr, what: string): VectorSelector | (Expr & { kind: 'SubqueryExpr' }) {
    if (target.kind === NodeKind.VectorSelector || target.kind === NodeKind.Subquery) return target;
    if (target.kind === NodeKind.MatrixSelector) return target.vector;
    return this.fail(n, `${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`);
  }

  private setOffset(n: SyntaxNode, target: Expr, ms: number): void {
    const t = this.modifiable(n, target, 'offset');
    if (t.offset !== 0) this.fail(n, 'offset may not be set multiple times');
    t.offset = ms;
  }

  private setAt(n: SyntaxNode, target: Expr, kids: SyntaxNode[]): void {
    const t = this.modifiable(n, target, '@');
    if (t.timestamp !== null || t.startOrEnd !== null) this.fail(n, '@ <timestamp> may not be set multiple times');
    const last = kids[kids.length - 1];
    if (last.name === 'AtModifierPreprocessors') {
      t.startOrEnd = children(last)[0].name === 'AtStart' ? 'start' : 'end';
      return;
    }
    const text = this.text(last).replace(/\s+/g, '');
    let v = parseNumber(text);
    if (v === null) {
      const d = parseDurationMs(text.replace(/^[+-]/, ''));
      if (d !== null) v = (text.startsWith('-') ? -d : d) / 1000;
    }
    if (v === null || !Number.isFinite(v) || Math.abs(v * 1000) > maxInt64) {
      this.fail(n, `timestamp out of bounds for @ modifier: ${v === null ? this.text(last) : v.toFixed(6)}`);
    }
    t.timestamp = Math.round(v * 1000);
  }

  private offsetDuration(n: SyntaxNode): number {
    const kids = children(n);
    if (kids[0].name === 'UnaryOp') {
      const v = this.offsetDuration(kids[1]);
      return this.text(kids[0]) === '-' ? -v : v;
    }
    return this.durationPrimary(n, kids);
  }

  /** A `DurationExpr`: literals, parentheses and arithmetic on them, in ms. */
  private duration(n: SyntaxNode): number {
    const kids = children(n);
    if (kids.length === 3 && kids[0].name === 'DurationExpr') {
      const a = this.duration(kids[0]);
      const b = this.duration(kids[2]);
      switch (kids[1].name) {
        case 'Add':
          return a + b;
        case 'Sub':
          return a - b;
        case 'Mul':
          return (a * b) / 1000;
        case 'Div':
          return (a / b) * 1000;
        case 'Mod':
          return a % b;
        case 'Pow':
          return Math.pow(a / 1000, b / 1000) * 1000;
      }
    }
    if (kids[0].name === 'UnaryOp') {
      const v = this.duration(kids[1]);
      return this.text(kids[0]) === '-' ? -v : v;
    }
    return this.durationPrimary(n, kids);
  }

  private durationPrimary(n: SyntaxNode, kids: SyntaxNode[]): number {
    const lit = kids.find((k) => k.name === 'NumberDurationLiteralInDurationContext');
    if (lit !== undefined) {
      const text = this.text(lit);
      const d = parseDurationMs(text);
      if (d !== null) return d;
      const v = parseNumber(text);
      if (v === null || !Number.isFinite(v)) this.fail(lit, `bad number or duration syntax: "${text}"`);
      return Math.round(v * 1000);
    }
    const inner = kids.find((k) => k.name === 'DurationExpr');
    if (inner !== undefined && kids.length === 1) return this.duration(inner);
    return this.fail(n, `duration expression "${this.text(n)}" is not supported`);
  }
}

/** Lezer's tree of the query; Lezer's own stack overflow (a tree too deep for it) is a ParseError. */
function parseTree(input: string): Tree {
  try {
    return parser.parse(blankTrailingDots(input));
  } catch (err) {
    if (err instanceof RangeError && err.message.includes('call stack')) throw tooDeep(input, 0);
    throw err;
  }
}

/**
 * Prometheus accepts `2.` as a number; the Lezer grammar does not. Blank such a trailing dot
 * (outside strings and comments), which keeps every position in the text unchanged.
 */
function blankTrailingDots(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += c !== '`' && s[j] === '\\' ? 2 : 1;
      out += s.slice(i, j + 1);
      i = j;
    } else if (c === '#') {
      const j = s.indexOf('\n', i);
      const end = j < 0 ? s.length : j;
      out += s.slice(i, end);
      i = end - 1;
    } else if (c === '.' && i > 0 && /\d/.test(s[i - 1]) && !/[\w.]/.test(s[i + 1] ?? '') && !/[\w]/.test(prevWordStart(s, i))) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/** The character before the run of digits that ends at i (to tell `2.` from `foo2.`). */
function prevWordStart(s: string, i: number): string {
  let j = i - 1;
  while (j >= 0 && /\d/.test(s[j])) j--;
  return j >= 0 ? s[j] : '';
}

/** Named children of a node (anonymous punctuation such as "(" is skipped). */
function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c !== null; c = c.nextSibling) {
    if (c.type.isError || (/^[A-Z]/.test(c.name) && c.name !== 'LineComment')) out.push(c);
  }
  return out;
}

