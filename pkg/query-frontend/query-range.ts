// A range query through the frontend: aligned to its step when asked, split by interval, its
// parts run at once up to max_query_parallelism (each through the results cache when it is on,
// queued and retried as any request), and their answers merged in a frontend worker.
import type { ApiAnswer, ApiExecutor, ApiRequest } from '../api/prometheus/index.js';
import { errorOf } from '../api/prometheus/index.js';
import { ErrorType } from '../promql/index.js';
import type { QueryRangeConfig } from './config.js';
import type { FrontendMetrics } from './frontend-metrics.js';
import type { RequestStats } from './request-stats.js';
import type { ResultsCache } from './results-cache.js';
import { alignToStep, partRequest, rangeOf, splitByInterval, splittable } from './split.js';
import type { RangeQuery } from './split.js';

export interface RangeQueryDeps {
  roundTrip: ApiExecutor;
  /** The client request's stats (cached parts are counted here). */
  stats: RequestStats;
  /** Merges successful matrix bodies given in time order (off the main thread). */
  merge: (tenant: string, bodies: Uint8Array[], deadline: number, signal: AbortSignal) => Promise<Buffer>;
  /** The tenant's max_query_parallelism and max_query_length (0: none). */
  limits: (tenant: string) => { maxQueryParallelism: number; maxQueryLength: number };
  metrics: FrontendMetrics;
  /** With cache_results. */
  cache: ResultsCache | undefined;
  /** With query sharding: how each of `parts` parts is run (below the results cache), in place of roundTrip. */
  partRoundTrip?: (parts: number) => ApiExecutor;
}

/** Runs a query_range request whose `deadline` is set. */
export async function executeRangeQuery(req: ApiRequest & { deadline: number }, signal: AbortSignal, cfg: QueryRangeConfig,
  deps: RangeQueryDeps): Promise<ApiAnswer> {
  const whole = rangeOf(req.params);
  const query = req.params.query;
  if (whole === undefined || typeof query !== 'string') return deps.roundTrip(req, signal);
  const r = cfg.alignQueriesWithStep ? alignToStep(whole) : whole;
  const limits = deps.limits(req.tenant);
  // A query longer than max_query_length is sent whole: the querier refuses it as it should.
  const tooLong = limits.maxQueryLength > 0 && r.end - r.start > limits.maxQueryLength;
  const parts = cfg.splitQueriesByInterval > 0 && splittable(query) && !tooLong ? splitByInterval(r, cfg.splitQueriesByInterval) : [r];
  // Answers with stats count what their own evaluation read: never cached.
  const cache = req.noStore === true || req.params.stats !== undefined ? undefined : deps.cache;
  const partDeps = deps.partRoundTrip === undefined ? deps : { ...deps, roundTrip: deps.partRoundTrip(parts.length) };
  const runPart = (p: RangeQuery, s: AbortSignal): Promise<ApiAnswer> =>
    cache !== undefined ? cache.part(req, query, p, cfg.splitQueriesByInterval, s, partDeps) : partDeps.roundTrip(p === whole ? req : partRequest(req, p), s);
  if (parts.length === 1) return runPart(parts[0], signal);
  deps.metrics.splitQueries.inc(parts.length);
  const bodies = await runAll(parts, limits.maxQueryParallelism, signal, runPart);
  if (!Array.isArray(bodies)) return bodies;
  try {
    return { status: 200, body: await deps.merge(req.tenant, bodies, req.deadline, signal) };
  } catch (err) {
    return errorOf(ErrorType.Internal, `merge the answers of a split query: ${(err as Error).message}`);
  }
}

/** The bodies of `items`' answers in order, or the first failed answer (the others are then canceled). */
export async function runAll<T>(items: readonly T[], parallelism: number, signal: AbortSignal,
  run: (item: T, s: AbortSignal) => Promise<ApiAnswer>): Promise<Uint8Array[] | ApiAnswer> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const bodies = new Array<Uint8Array>(items.length);
  let failed: ApiAnswer | undefined;
  let next = 0;
  const runner = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      const a = await run(items[i], ac.signal).catch((err: unknown) => ac.signal.aborted
        ? errorOf(ErrorType.Canceled, 'query was canceled')
        : errorOf(ErrorType.Internal, `run a part of a query: ${(err as Error).message}`));
      if (a.status !== 200) {
        failed ??= a;
        ac.abort();
        return;
      }
      bodies[i] = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, items.length)) }, runner));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return failed ?? bodies;
}
