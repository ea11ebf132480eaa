// The query-frontend (Cortex's frontend v1): it answers the Prometheus API by queueing each
// request per tenant and handing it to the next querier that asks for work, in this process or
// over a querier's Process stream. Range queries are split by interval first (query-range.ts);
// each request or part is retried on another querier when its querier fails.
import type { Registry } from 'prom-client';
import type { ApiAnswer, ApiExecutor, ApiRequest } from '../api/prometheus/index.js';
import { ApiOp, errorOf } from '../api/prometheus/index.js';
import type { Logger } from '../log/index.js';
import { ErrorType } from '../promql/index.js';
import { TenantSeparator } from '../tenant/index.js';
import type { FrontendConfig, QueryRangeConfig } from './config.js';
import { FrontendMetrics } from './frontend-metrics.js';
import { executeRangeQuery } from './query-range.js';
import { shardingRoundTrip } from './sharding.js';
import type { ShardingDeps } from './sharding.js';
import type { RangeQueryDeps } from './query-range.js';
import { RequestQueue, TooManyRequestsError } from './request-queue.js';
import { RequestStats } from './request-stats.js';
import { LabelsCache } from './labels-cache.js';
import { ResultsCache } from './results-cache.js';
import type { ResultsCacheDeps } from './results-cache.js';
import { ResultsCacheMetrics } from './results-cache-metrics.js';
import type { Cache } from '../cache/index.js';

/** The per-tenant limits the frontend applies. */
export interface FrontendLimits {
  maxQueriersPerTenant: number;
  maxQueryParallelism: number;
  maxQueryLength: number;
  maxCacheFreshness: number;
  /** How long label names, label values and series answers are cached (ms); 0: not cached. */
  resultsCacheTtlForLabelsQuery: number;
  queryShardingTotalShards: number;
  queryShardingMaxShardedQueries: number;
}

export interface FrontendDeps {
  limits: (tenant: string) => FrontendLimits;
  /** Merges the answers of a split range query's parts (MergePool.mergeMatrix). */
  merge: RangeQueryDeps['merge'];
  /** MergePool.assemble, for the results cache. */
  assemble: ResultsCacheDeps['assemble'];
  /** MergePool.planShards and evaluateSharded, for query sharding. */
  planShards: ShardingDeps['plan'];
  evaluateSharded: ShardingDeps['evaluate'];
  /** Where results are cached, with cache_results. */
  cache?: Cache;
  /** -querier.timeout (ms): how long a request may wait and run. */
  timeout: number;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

/**
 * Runs a request on a querier; rejects with QuerierGoneError when the querier failed or went away
 * before it answered (the request is then retried elsewhere).
 */
export type QuerierRun = (req: ApiRequest, signal: AbortSignal) => Promise<ApiAnswer>;

/** The querier running a request went away (crashed, stopped, lost its connection). */
export class QuerierGoneError extends Error {
  constructor(querierId: string, cause?: unknown) {
    super(`querier ${querierId} went away before it answered`, { cause });
    this.name = 'QuerierGoneError';
  }
}

interface Queued {
  req: ApiRequest;
  stats: RequestStats;
  enqueuedAt: number;
  /** The caller's signal: the querier stops when it aborts. */
  signal: AbortSignal;
  settle: (outcome: { answer: ApiAnswer } | { error: Error }) => void;
}

export class Frontend {
  readonly #cfg: FrontendConfig;
  readonly #rangeCfg: QueryRangeConfig;
  readonly #deps: FrontendDeps;
  readonly #metrics: FrontendMetrics;
  readonly #queue: RequestQueue<Queued>;
  readonly #now: () => number;
  readonly #resultsCache: ResultsCache | undefined;
  readonly #labelsCache: LabelsCache | undefined;

  constructor(cfg: FrontendConfig, rangeCfg: QueryRangeConfig, deps: FrontendDeps) {
    this.#cfg = cfg;
    this.#rangeCfg = rangeCfg;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#metrics = new FrontendMetrics(deps.registry);
    this.#queue = new RequestQueue(cfg.maxOutstandingPerTenant, (tenant, n) => this.#metrics.queueLength.set({ user: tenant }, n));
    if (deps.cache !== undefined) {
      const metrics = new ResultsCacheMetrics(deps.registry);
      this.#resultsCache = new ResultsCache({
        cache: deps.cache,
        assemble: deps.assemble,
        // Federated queries: the shortest freshness of their tenants, whichever is set.
        maxCacheFreshness: (tenant) => this.#smallest(tenant, 'maxCacheFreshness'),
        metrics,
        now: this.#now,
      });
      this.#labelsCache = new LabelsCache({
        cache: deps.cache,
        // Federated requests: cached only when every tenant's are, for the shortest TTL.
        ttl: (tenant) => Math.min(...tenant.split(TenantSeparator).map((t) => deps.limits(t).resultsCacheTtlForLabelsQuery)),
        metrics,
        now: this.#now,
      });
    }
  }

  get metrics(): FrontendMetrics {
    return this.#metrics;
  }

  /** The API entry: every request the frontend's HTTP API receives. */
  readonly execute: ApiExecutor = async (req, signal) => {
    const start = this.#now();
    const stats = new RequestStats();
    const answer = await this.#execute(req, signal, stats);
    const took = this.#now() - start;
    const slow = this.#cfg.logQueriesLongerThan;
    const isSlow = slow > 0 && took > slow;
    if (isSlow || this.#cfg.queryStatsEnabled) {
      this.#deps.logger.info({
        tenant: req.tenant, op: req.op, query: req.params.query, start: req.params.start, end: req.params.end, step: req.params.step,
        time: req.params.time, status: answer.status, wall_seconds: took / 1000, response_bytes: answer.body.length, ...stats.fields(),
      }, isSlow ? 'slow query detected' : 'query stats');
    }
    return answer;
  };

  #execute(req: ApiRequest, signal: AbortSignal, stats: RequestStats): Promise<ApiAnswer> {
    const roundTrip: ApiExecutor = (r, s) => this.#roundTrip(r, s, stats);
    if (this.#labelsCache?.handles(req) === true) return this.#labelsCache.answer(req, signal, roundTrip);
    const deadline = req.deadline ?? this.#now() + this.#deps.timeout;
    // Sharding runs each query, or each part of a split range query (below the results cache).
    const sharded = this.#cfg.parallelizeShardableQueries ? (parts: number) => this.#sharded(req.tenant, roundTrip, parts) : undefined;
    if (req.op === ApiOp.Query && sharded !== undefined) return sharded(1)({ ...req, deadline }, signal);
    if (req.op !== ApiOp.QueryRange) return roundTrip(req, signal);
    return executeRangeQuery({ ...req, deadline }, signal, this.#rangeCfg, {
      partRoundTrip: sharded,
      roundTrip,
      stats,
      merge: this.#deps.merge,
      limits: (tenant) => ({ maxQueryParallelism: this.#smallest(tenant, 'maxQueryParallelism'), maxQueryLength: this.#smallest(tenant, 'maxQueryLength') }),
      metrics: this.#metrics,
      cache: this.#resultsCache,
    });
  }

  /** The round trip of the parts of one client request, sharding what it can. */
  #sharded(tenant: string, roundTrip: ApiExecutor, parts: number): ApiExecutor {
    return shardingRoundTrip({
      roundTrip,
      plan: this.#deps.planShards,
      evaluate: this.#deps.evaluateSharded,
      limits: {
        totalShards: this.#smallest(tenant, 'queryShardingTotalShards'),
        maxShardedQueries: this.#smallest(tenant, 'queryShardingMaxShardedQueries'),
        maxQueryParallelism: this.#smallest(tenant, 'maxQueryParallelism'),
      },
      metrics: this.#metrics,
      now: this.#now,
    }, parts);
  }

  /**
   * Runs one request (or one part of a split query) on a querier, again on another when its
   * querier goes away or answers 5xx (up to -querier.max-retries-per-request times).
   */
  async #roundTrip(req: ApiRequest, signal: AbortSignal, stats: RequestStats): Promise<ApiAnswer> {
    const deadline = req.deadline ?? this.#now() + this.#deps.timeout;
    const withDeadline = { ...req, deadline };
    let answer: ApiAnswer | undefined;
    let attempt = 0;
    for (; attempt <= this.#rangeCfg.maxRetries; attempt++) {
      try {
        answer = await this.#dispatch(withDeadline, signal, stats);
        stats.add(answer);
        if (!retryable(answer)) break;
      } catch (err) {
        if (err instanceof TooManyRequestsError) {
          this.#metrics.discarded.inc({ user: req.tenant });
          return { ...errorOf(ErrorType.Unavailable, 'too many outstanding requests'), status: 429 };
        }
        if (!(err instanceof QuerierGoneError)) throw err;
        this.#deps.logger.warn({ tenant: req.tenant, err, attempt }, 'querier went away; retrying the request');
        answer = errorOf(ErrorType.Unavailable, err.message);
      }
      if (signal.aborted) return errorOf(ErrorType.Canceled, 'query was canceled');
      if (this.#now() >= deadline) return errorOf(ErrorType.Timeout, 'query timed out in query queue');
    }
    this.#metrics.retries.observe(Math.min(attempt + 1, this.#rangeCfg.maxRetries + 1));
    return answer ?? errorOf(ErrorType.Internal, 'no attempt was made');
  }

  /**
   * Takes requests for querier `querierId` and runs them with `run`, one at a time, until `signal`
   * aborts; a querier calls this once per unit of its concurrency. Resolves when it stopped.
   */
  async serveQuerier(querierId: string, run: QuerierRun, signal: AbortSignal): Promise<void> {
    this.#queue.querierConnected(querierId);
    this.#metrics.connectedClients.inc();
    try {
      for (;;) {
        const q = await this.#queue.next(querierId, signal);
        if (q === undefined) return;
        const waited = this.#now() - q.enqueuedAt;
        this.#metrics.queueDuration.observe(waited / 1000);
        q.stats.queueMs += waited;
        try {
          q.settle({ answer: await run(q.req, q.signal) });
        } catch (err) {
          q.settle({ error: err instanceof Error ? err : new Error(String(err)) });
          // A querier gone is gone for every request: stop taking more on its behalf.
          if (err instanceof QuerierGoneError) return;
        }
      }
    } finally {
      this.#metrics.connectedClients.dec();
      this.#queue.querierDisconnected(querierId);
    }
  }

  /** Queues `req` and waits for a querier's answer; the wait ends at the request's deadline. */
  #dispatch(req: ApiRequest & { deadline: number }, signal: AbortSignal, stats: RequestStats): Promise<ApiAnswer> {
    const tenant = req.tenant;
    return new Promise((resolve, reject) => {
      // Settled only from a later tick (a querier's answer), after `timer` is set.
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const q: Queued = {
        req,
        stats,
        enqueuedAt: this.#now(),
        signal,
        settle: (o) => {
          done();
          if ('answer' in o) resolve(o.answer);
          else reject(o.error);
        },
      };
      const giveUp = (a: ApiAnswer): void => {
        // Still queued: answer now. Taken: the querier stops on the signal or at the deadline and settles.
        if (!this.#queue.remove(tenant, q)) return;
        done();
        resolve(a);
      };
      const onAbort = (): void => giveUp(errorOf(ErrorType.Canceled, 'query was canceled'));
      try {
        this.#queue.enqueue(tenant, q, this.#smallest(tenant, 'maxQueriersPerTenant'));
      } catch (err) {
        reject(err);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => giveUp(errorOf(ErrorType.Timeout, 'query timed out in query queue')), Math.max(0, req.deadline - this.#now()));
    });
  }

  /** A limit of a federated request (`a|b`): the smallest of its tenants' that is set (0: none is). */
  #smallest(tenant: string, limit: keyof FrontendLimits): number {
    let n = 0;
    for (const t of tenant.split(TenantSeparator)) {
      const m = this.#deps.limits(t)[limit];
      if (m > 0 && (n === 0 || m < n)) n = m;
    }
    return n;
  }

}

/** Failures another querier may not have: 5xx, except a query that ran out of time or was canceled. */
function retryable(a: ApiAnswer): boolean {
  return a.status >= 500 && a.errorType !== ErrorType.Timeout && a.errorType !== ErrorType.Canceled;
}
