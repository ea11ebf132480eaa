/**
 * The PromQL syntax tree Myelin evaluates. Produced by `parseExpr` from the Lezer tree of
 * @prometheus-io/lezer-promql; times and durations are in milliseconds.
 */
import type { Matcher } from '../../model/labels/index.js';
import type { FunctionInfo } from './functions.js';

export const NodeKind = {
  Number: 'NumberLiteral',
  String: 'StringLiteral',
  VectorSelector: 'VectorSelector',
  MatrixSelector: 'MatrixSelector',
  Subquery: 'SubqueryExpr',
  Call: 'Call',
  Aggregate: 'AggregateExpr',
  Binary: 'BinaryExpr',
  Unary: 'UnaryExpr',
  Paren: 'ParenExpr',
} as const;

/** PromQL value types, spelled as Prometheus spells them in errors and in the HTTP API. */
export const ValueKind = {
  Scalar: 'scalar',
  Vector: 'vector',
  Matrix: 'matrix',
  String: 'string',
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/** Vector matching cardinality of a binary operation. */
export const Card = {
  OneToOne: 'one-to-one',
  ManyToOne: 'many-to-one',
  OneToMany: 'one-to-many',
  ManyToMany: 'many-to-many',
} as const;
export type Card = (typeof Card)[keyof typeof Card];

/** `@ start()` / `@ end()`, resolved at evaluation time. */
export type AtPreprocessor = 'start' | 'end' | null;

export interface NumberLiteral {
  readonly kind: typeof NodeKind.Number;
  readonly value: number;
  /** Written as a duration (`5m`): printed back as one. */
  readonly duration: boolean;
}

export interface StringLiteral {
  readonly kind: typeof NodeKind.String;
  readonly value: string;
}

/** Time modifiers shared by selectors and subqueries. */
export interface TimeModifiers {
  /** `offset`, in ms; negative looks ahead. */
  offset: number;
  /** `@ <ts>` in ms, or null. */
  timestamp: number | null;
  startOrEnd: AtPreprocessor;
}

export interface VectorSelector extends TimeModifiers {
  readonly kind: typeof NodeKind.VectorSelector;
  /** The metric name written before the braces, '' when absent. */
  readonly name: string;
  readonly matchers: readonly Matcher[];
}

export interface MatrixSelector {
  readonly kind: typeof NodeKind.MatrixSelector;
  readonly vector: VectorSelector;
  readonly range: number;
}

export interface SubqueryExpr extends TimeModifiers {
  readonly kind: typeof NodeKind.Subquery;
  readonly expr: Expr;
  readonly range: number;
  /** 0 when omitted: the engine's default resolution applies. */
  readonly step: number;
}

export interface Call {
  readonly kind: typeof NodeKind.Call;
  readonly func: FunctionInfo;
  readonly args: readonly Expr[];
}

export interface AggregateExpr {
  readonly kind: typeof NodeKind.Aggregate;
  readonly op: string;
  readonly expr: Expr;
  readonly param: Expr | null;
  readonly grouping: readonly string[];
  readonly without: boolean;
}

export interface VectorMatching {
  readonly card: Card;
  /** Labels of `on(...)` or `ignoring(...)`. */
  readonly matchingLabels: readonly string[];
  readonly on: boolean;
  /** Extra labels of `group_left(...)`/`group_right(...)`. */
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly kind: typeof NodeKind.Binary;
  readonly op: string;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  /** Null unless both sides are instant vectors. */
  readonly matching: VectorMatching | null;
}

export interface UnaryExpr {
  readonly kind: typeof NodeKind.Unary;
  readonly op: '-' | '+';
  readonly expr: Expr;
}

export interface ParenExpr {
  readonly kind: typeof NodeKind.Paren;
  readonly expr: Expr;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

/** The value type an expression evaluates to. */
export function typeOf(e: Expr): ValueKind {
  switch (e.kind) {
    case NodeKind.Number:
      return ValueKind.Scalar;
    case NodeKind.String:
      return ValueKind.String;
    case NodeKind.VectorSelector:
      return ValueKind.Vector;
    case NodeKind.MatrixSelector:
    case NodeKind.Subquery:
      return ValueKind.Matrix;
    case NodeKind.Call:
      return e.func.returnType;
    case NodeKind.Aggregate:
      return ValueKind.Vector;
    case NodeKind.Binary:
      return typeOf(e.lhs) === ValueKind.Scalar && typeOf(e.rhs) === ValueKind.Scalar
        ? ValueKind.Scalar
        : ValueKind.Vector;
    case NodeKind.Unary:
    case NodeKind.Paren:
      return typeOf(e.expr);
  }
}

/** Type names as Prometheus prints them in type errors ("instant vector", "range vector"). */
export function documentedType(t: ValueKind): string {
  switch (t) {
    case ValueKind.Vector:
      return 'instant vector';
    case ValueKind.Matrix:
      return 'range vector';
    default:
      return t;
  }
}

export const comparisonOps: ReadonlySet<string> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const setOps: ReadonlySet<string> = new Set(['and', 'or', 'unless']);
