// Query sharding (Mimir's -query-frontend.parallelize-shardable-queries): a query, or one part of a
// split range query, is rewritten in a frontend worker into legs of shard queries
// (shard-rewrite.ts); the legs' queries run on queriers like any request, at most
// max_query_parallelism at once for the whole client request; the worker then evaluates the outer
// expression over their answers (shard-eval.ts). A query with nothing to shard, `stats`, or native
// histograms of custom buckets in its shards' answers runs unsharded.
import type { ApiAnswer, ApiExecutor, ApiRequest } from '../api/prometheus/index.js';
import { ApiOp, errorOf, parseTime } from '../api/prometheus/index.js';
import { ErrorType } from '../promql/index.js';
import type { FrontendMetrics } from './frontend-metrics.js';
import type { ShardPlanTask } from './merge-pool.js';
import { runAll } from './query-range.js';
import type { ShardEvalTask } from './shard-eval.js';
import type { ShardPlan } from './shard-rewrite.js';
import { rangeOf } from './split.js';

/** When the request has no deadline (the frontend sets one: -querier.timeout). */
const defaultTimeout = 120_000;

/** A tenant's sharding limits (for a federated request, the smallest that are set). */
export interface ShardingLimits {
  /** query_sharding_total_shards: shards per leg; below 2, nothing is sharded. */
  totalShards: number;
  /** query_sharding_max_sharded_queries: shard queries per client request, over its split parts; 0: no bound. */
  maxShardedQueries: number;
  maxQueryParallelism: number;
}

export interface ShardingDeps {
  /** Runs one shard query (or the unsharded query) on a querier. */
  roundTrip: ApiExecutor;
  plan: (tenant: string, task: ShardPlanTask, deadline: number, signal: AbortSignal) => Promise<ShardPlan | undefined>;
  evaluate: (tenant: string, task: ShardEvalTask, deadline: number, signal: AbortSignal) => Promise<Buffer | undefined>;
  limits: ShardingLimits;
  metrics: FrontendMetrics;
  now: () => number;
}

/**
 * The round trip of a query or query_range request that shards what it can; `parts` is the number
 * of parts the client's range query was split into (max_sharded_queries is shared among them).
 * One per client request: its shard queries share one max_query_parallelism.
 */
export function shardingRoundTrip(deps: ShardingDeps, parts = 1): ApiExecutor {
  const slots = new Slots(Math.max(1, deps.limits.maxQueryParallelism));
  const limited: ApiExecutor = (r, s) => slots.run(() => deps.roundTrip(r, s));
  return (req, signal) => executeSharded(req, signal, parts, { ...deps, roundTrip: limited }, deps.roundTrip);
}

async function executeSharded(req: ApiRequest, signal: AbortSignal, parts: number, deps: ShardingDeps, unsharded: ApiExecutor): Promise<ApiAnswer> {
  const query = req.params.query;
  const { totalShards, maxShardedQueries } = deps.limits;
  // Answers with stats count what their own evaluation read; shards would count theirs.
  if ((req.op !== ApiOp.Query && req.op !== ApiOp.QueryRange) || typeof query !== 'string' || totalShards < 2 || req.params.stats !== undefined) {
    return unsharded(req, signal);
  }
  const range = req.op === ApiOp.QueryRange ? rangeOf(req.params) : undefined;
  if (req.op === ApiOp.QueryRange && range === undefined) return unsharded(req, signal);
  const deadline = req.deadline ?? deps.now() + defaultTimeout;
  deps.metrics.shardingRewritesAttempted.inc();
  const perPart = maxShardedQueries > 0 ? Math.floor(maxShardedQueries / parts) : 0;
  let plan: ShardPlan | undefined;
  try {
    plan = maxShardedQueries > 0 && perPart < 2 ? undefined : await deps.plan(req.tenant, { query, totalShards, maxShardedQueries: perPart }, deadline, signal);
  } catch (err) {
    return errorOf(ErrorType.Internal, `rewrite the query into shards: ${(err as Error).message}`);
  }
  if (plan === undefined || plan.shards < 2) return unsharded(req, signal);
  deps.metrics.shardingRewritesSucceeded.inc();
  const shardQueries = plan.shards * plan.shardedLegs;
  deps.metrics.shardedQueries.inc(shardQueries);
  deps.metrics.shardedQueriesPerQuery.observe(shardQueries);

  // Every leg is evaluated at the same time: an instant query without one is pinned to now.
  const time = req.op === ApiOp.Query ? pinnedTime(req, deps.now) : undefined;
  const params = time === undefined ? req.params : { ...req.params, time: String(time / 1000) };
  const subs: ApiRequest[] = [];
  for (const leg of plan.legs) for (const q of leg.queries) subs.push({ ...req, params: { ...params, query: q } });
  const bodies = await runAll(subs, subs.length, signal, deps.roundTrip);
  if (!Array.isArray(bodies)) return bodies;

  let at = 0;
  const legs = plan.legs.map((leg) => ({ labelShards: leg.labelShards, bodies: bodies.slice(at, (at += leg.queries.length)) }));
  const task: ShardEvalTask = { outer: plan.outer, legs, ...(range === undefined ? { time } : { range }) };
  let body: Buffer | undefined;
  try {
    body = await deps.evaluate(req.tenant, task, deadline, signal);
  } catch (err) {
    return errorOf(ErrorType.Execution, (err as Error).message);
  }
  return body === undefined ? unsharded(req, signal) : { status: 200, body };
}

/** The instant query's time (ms): its `time`, else now. Undefined when `time` is bad (the querier answers that). */
function pinnedTime(req: ApiRequest, now: () => number): number | undefined {
  const raw = req.params.time;
  const t = Array.isArray(raw) ? raw[0] : raw;
  if (t === undefined || t === '') return req.now ?? now();
  try {
    return parseTime(t, 'time');
  } catch {
    return undefined;
  }
}

/** At most `n` calls running at once; the others wait in order. */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(n: number) {
    this.#free = n;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#free++;
    }
  }
}
