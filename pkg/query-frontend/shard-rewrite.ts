// Query sharding's rewriter (Mimir's astmapper, in Myelin's own terms): the shardable aggregations
// of a query become *legs* of n shard queries, each selecting one shard of the series
// (`__query_shard__="<i>_of_<n>"` on every selector), and the query itself becomes an outer
// expression over the legs' answers, evaluated by the frontend (shard-eval.ts). An aggregation
// is shardable when it distributes over any partition of its input series and its input is
// computed series by series, so that each shard's answer is the aggregation of a disjoint part:
//   sum, min, max, group → the same op over the shards' answers; count → sum of the counts;
//   avg → the shards' means weighted by their counts; topk/bottomk(k) → topk/bottomk(k) over the
//   shards' top k.
// Whatever else reads data (selectors outside those aggregations, subqueries over them) is a leg
// of one unsharded query, evaluated once by a querier.
import { Matcher, MatchType, MetricName, QueryShardLabel, formatQueryShard } from '../model/labels/index.js';
import type { AggregateExpr, BinaryExpr, Call, Expr, VectorMatching, VectorSelector } from '../promql/parser/index.js';
import { Card, NodeKind, ValueKind, exprToString, parseExpr, typeOf } from '../promql/parser/index.js';

/** The label of the selector that stands for a leg in the outer expression: its value is the leg's index. */
export const LegLabel = '__myelin_leg__';

export interface ShardLeg {
  /** The queries whose answers together are the leg: n shard queries, or the one unsharded query. */
  queries: string[];
  /** Shard legs' answers collide on labels (two shards' `sum by (job)` both have `{job="a"}`): each shard's series get `__query_shard__`. */
  labelShards: boolean;
}

export interface ShardPlan {
  /** The query over the legs, `{__myelin_leg__="<i>"}` standing for leg i. */
  outer: string;
  legs: ShardLeg[];
  /** Shards of each sharded leg. */
  shards: number;
  /** Legs that are sharded. */
  shardedLegs: number;
}

/** Aggregations that distribute over a partition of their input series. */
const shardableOps = new Set(['sum', 'min', 'max', 'count', 'avg', 'group', 'topk', 'bottomk']);

/**
 * Functions of instant or range vectors that are not computed series by series: they combine
 * series (histogram_quantile over classic `le` buckets, info's join), depend on all of them
 * (absent, scalar, vector) or only order them.
 */
const crossSeriesFunctions = new Set([
  'absent', 'absent_over_time', 'histogram_quantile', 'info', 'scalar', 'vector',
  'sort', 'sort_desc', 'sort_by_label', 'sort_by_label_desc',
]);

/** planShards of a query text; undefined also when it does not parse (the querier answers its error). */
export function planQuery(query: string, totalShards: number, maxShardedQueries: number): ShardPlan | undefined {
  let expr: Expr;
  try {
    expr = parseExpr(query);
  } catch {
    return undefined;
  }
  return planShards(expr, totalShards, maxShardedQueries);
}

/**
 * The plan of `expr` with at most `totalShards` shards per leg and at most `maxShardedQueries`
 * queries in all, shard queries and unsharded legs (0: no bound); undefined when nothing in it can be sharded, and the query
 * is sent as it is. (One shard is a valid plan, for tests; the frontend shards into 2 or more.)
 */
export function planShards(expr: Expr, totalShards: number, maxShardedQueries: number): ShardPlan | undefined {
  // The leg label is the frontend's own: a query naming it is not rewritten.
  if (anySelector(expr, isLeg)) return undefined;
  const found: AggregateExpr[] = [];
  collectShardable(expr, found);
  if (found.length === 0) return undefined;
  // avg is two legs (sum and count).
  const legsCount = found.reduce((n, a) => n + (a.op === 'avg' ? 2 : 1), 0);
  let plan = build(expr, maxShardedQueries > 0 ? Math.min(totalShards, Math.floor(maxShardedQueries / legsCount)) : totalShards, legsCount);
  // The unsharded legs count too: every leg's query is a request to a querier.
  const unsharded = plan === undefined ? 0 : plan.legs.length - legsCount;
  if (plan !== undefined && maxShardedQueries > 0 && plan.shards * legsCount + unsharded > maxShardedQueries) {
    plan = build(expr, Math.floor((maxShardedQueries - unsharded) / legsCount), legsCount);
  }
  return plan;
}

function build(expr: Expr, shards: number, shardedLegs: number): ShardPlan | undefined {
  if (shards < 1) return undefined;
  const b = new PlanBuilder(shards);
  const outer = b.embedRest(b.rewrite(expr));
  return { outer: exprToString(outer), legs: b.legs, shards, shardedLegs };
}

/** The shardable aggregations of `e` that rewrite() will shard, outermost first. */
function collectShardable(e: Expr, out: AggregateExpr[]): void {
  if (e.kind === NodeKind.Aggregate && shardable(e)) {
    out.push(e);
    return;
  }
  for (const c of rewritableChildren(e)) collectShardable(c, out);
}

/** The children rewrite() looks into: not under subqueries (their steps are not the query's) nor range selectors. */
function rewritableChildren(e: Expr): Expr[] {
  switch (e.kind) {
    case NodeKind.Paren:
    case NodeKind.Unary:
      return [e.expr];
    case NodeKind.Binary:
      return [e.lhs, e.rhs];
    case NodeKind.Call:
      return e.args.filter((a) => typeOf(a) !== ValueKind.Matrix);
    case NodeKind.Aggregate:
      return [e.expr];
    default:
      return [];
  }
}

export function shardable(a: AggregateExpr): boolean {
  if (!shardableOps.has(a.op)) return false;
  // topk(k, …): k must be the same number at every step in every shard.
  if ((a.op === 'topk' || a.op === 'bottomk') && a.param?.kind !== NodeKind.Number) return false;
  // A grouping by the shard label itself would keep shards apart.
  if (a.grouping.includes(QueryShardLabel) || a.grouping.includes(LegLabel)) return false;
  // `by (__name__)` groups by names that may be dropped later: the duplicate series it makes are
  // an error only when seen together (Prometheus' delayed name removal).
  if (!a.without && a.grouping.includes(MetricName)) return false;
  return seriesBySeries(a.expr) && hasSelector(a.expr);
}

/** Whether `e` computes each output series from one input series alone (and its selectors may take a shard matcher). */
function seriesBySeries(e: Expr): boolean {
  switch (e.kind) {
    case NodeKind.VectorSelector:
      return e.matchers.every((m) => m.name !== QueryShardLabel && m.name !== LegLabel);
    case NodeKind.MatrixSelector:
      return seriesBySeries(e.vector);
    case NodeKind.Subquery:
    case NodeKind.Paren:
    case NodeKind.Unary:
      return seriesBySeries(e.expr);
    case NodeKind.Call:
      return callBySeries(e);
    case NodeKind.Binary: {
      // Vector op scalar: per series, when the scalar side reads no data (which a shard would cut).
      const l = typeOf(e.lhs) === ValueKind.Scalar;
      const r = typeOf(e.rhs) === ValueKind.Scalar;
      if (l && r) return !hasSelector(e);
      if (l) return !hasSelector(e.lhs) && seriesBySeries(e.rhs);
      if (r) return !hasSelector(e.rhs) && seriesBySeries(e.lhs);
      return false;
    }
    case NodeKind.Number:
    case NodeKind.String:
      return true;
    case NodeKind.Aggregate:
      return false;
  }
}

function callBySeries(c: Call): boolean {
  if (crossSeriesFunctions.has(c.func.name)) return false;
  return c.args.every((a) => {
    const t = typeOf(a);
    return t === ValueKind.Vector || t === ValueKind.Matrix ? seriesBySeries(a) : !hasSelector(a);
  });
}

function hasSelector(e: Expr): boolean {
  return anySelector(e, () => true);
}

function isLeg(s: VectorSelector): boolean {
  return s.matchers.some((m) => m.name === LegLabel);
}

function anySelector(e: Expr, pred: (s: VectorSelector) => boolean): boolean {
  switch (e.kind) {
    case NodeKind.VectorSelector:
      return pred(e);
    case NodeKind.MatrixSelector:
      return pred(e.vector);
    case NodeKind.Subquery:
    case NodeKind.Paren:
    case NodeKind.Unary:
      return anySelector(e.expr, pred);
    case NodeKind.Call:
      return e.args.some((a) => anySelector(a, pred));
    case NodeKind.Aggregate:
      return anySelector(e.expr, pred) || (e.param !== null && anySelector(e.param, pred));
    case NodeKind.Binary:
      return anySelector(e.lhs, pred) || anySelector(e.rhs, pred);
    default:
      return false;
  }
}

/** `e` with the matcher `m` added to every selector. */
function withMatcher(e: Expr, m: Matcher): Expr {
  switch (e.kind) {
    case NodeKind.VectorSelector:
      return { ...e, matchers: [...e.matchers, m] };
    case NodeKind.MatrixSelector:
      return { ...e, vector: withMatcher(e.vector, m) as VectorSelector };
    case NodeKind.Subquery:
    case NodeKind.Paren:
    case NodeKind.Unary:
      return { ...e, expr: withMatcher(e.expr, m) };
    case NodeKind.Call:
      return { ...e, args: e.args.map((a) => withMatcher(a, m)) };
    case NodeKind.Aggregate:
      return { ...e, expr: withMatcher(e.expr, m) };
    case NodeKind.Binary:
      return { ...e, lhs: withMatcher(e.lhs, m), rhs: withMatcher(e.rhs, m) };
    default:
      return e;
  }
}

/** `op without (__query_shard__) (e)`: the shards' series of each group, aggregated. */
function acrossShards(op: string, e: Expr): AggregateExpr {
  return { kind: NodeKind.Aggregate, op, expr: e, param: null, grouping: [QueryShardLabel], without: true };
}

function binary(op: string, lhs: Expr, rhs: Expr, matching: VectorMatching): BinaryExpr {
  return { kind: NodeKind.Binary, op, lhs, rhs, returnBool: false, matching };
}

function legSelector(i: number): VectorSelector {
  return { kind: NodeKind.VectorSelector, name: '', matchers: [new Matcher(MatchType.Equal, LegLabel, String(i))], offset: 0, timestamp: null, startOrEnd: null };
}

class PlanBuilder {
  readonly legs: ShardLeg[] = [];
  readonly #shards: number;

  constructor(shards: number) {
    this.#shards = shards;
  }

  /** `e` with its shardable aggregations replaced by aggregations over their legs. */
  rewrite(e: Expr): Expr {
    if (e.kind === NodeKind.Aggregate && shardable(e)) return this.#shard(e);
    switch (e.kind) {
      case NodeKind.Paren:
      case NodeKind.Unary:
        return { ...e, expr: this.rewrite(e.expr) };
      case NodeKind.Binary:
        return { ...e, lhs: this.rewrite(e.lhs), rhs: this.rewrite(e.rhs) };
      case NodeKind.Call:
        return { ...e, args: e.args.map((a) => (typeOf(a) === ValueKind.Matrix ? a : this.rewrite(a))) };
      case NodeKind.Aggregate:
        return { ...e, expr: this.rewrite(e.expr) };
      default:
        return e;
    }
  }

  /** `e` (rewritten) with each largest instant-vector part that still reads data made a leg of one query. */
  embedRest(e: Expr): Expr {
    if (!anySelector(e, (s) => !isLeg(s))) return e;
    if (typeOf(e) === ValueKind.Vector && !anySelector(e, isLeg)) return this.#leg([exprToString(e)], false);
    switch (e.kind) {
      case NodeKind.Paren:
      case NodeKind.Unary:
        return { ...e, expr: this.embedRest(e.expr) };
      case NodeKind.Binary:
        return { ...e, lhs: this.embedRest(e.lhs), rhs: this.embedRest(e.rhs) };
      case NodeKind.Call:
        return { ...e, args: e.args.map((a) => this.embedRest(a)) };
      case NodeKind.Aggregate:
        return { ...e, expr: this.embedRest(e.expr), param: e.param === null ? null : this.embedRest(e.param) };
      default:
        // A scalar reads data only through a function of a vector (handled above); a range
        // vector only where its call is an instant vector.
        throw new Error(`BUG: ${e.kind} reading data outside an instant vector`);
    }
  }

  #shard(a: AggregateExpr): Expr {
    switch (a.op) {
      case 'avg': {
        // The shards' means weighted by their share of the count: sum/count would overflow where
        // avg's running mean does not (values near the float64 maximum).
        const avg = this.#shardedLeg(a);
        const count = this.#shardedLeg({ ...a, op: 'count' });
        const total = acrossShards('sum', count);
        const share = binary('/', count, total, { card: Card.ManyToOne, matchingLabels: [QueryShardLabel], on: false, include: [] });
        const weighted = binary('*', avg, { kind: NodeKind.Paren, expr: share }, { card: Card.OneToOne, matchingLabels: [], on: false, include: [] });
        return acrossShards('sum', weighted);
      }
      case 'count':
        return this.#merge(a, 'sum', this.#shardedLeg(a));
      default:
        return this.#merge(a, a.op, this.#shardedLeg(a));
    }
  }

  /** The aggregation of the shards' answers: the shard label is grouped away (topk keeps whole series, which are distinct across shards). */
  #merge(a: AggregateExpr, op: string, leg: VectorSelector): AggregateExpr {
    const labelled = op !== 'topk' && op !== 'bottomk';
    const grouping = a.without && labelled ? [...a.grouping, QueryShardLabel] : a.grouping;
    return { ...a, op, expr: leg, grouping };
  }

  #shardedLeg(a: AggregateExpr): VectorSelector {
    const queries: string[] = [];
    for (let i = 1; i <= this.#shards; i++) {
      const m = new Matcher(MatchType.Equal, QueryShardLabel, formatQueryShard({ index: i, count: this.#shards }));
      queries.push(exprToString(withMatcher(a, m)));
    }
    return this.#leg(queries, a.op !== 'topk' && a.op !== 'bottomk');
  }

  #leg(queries: string[], labelShards: boolean): VectorSelector {
    this.legs.push({ queries, labelShards });
    return legSelector(this.legs.length - 1);
  }
}
