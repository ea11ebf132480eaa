// The results cache (Cortex's query_range results cache): one extent per tenant, query, step (and
// its phase), split interval and interval number — a time range of that part of the query and its
// answer. A part is answered from the extent plus the gaps before and after it, fetched from the
// queriers; the extent then grows to cover the part, up to max_cache_freshness ago (newer data may
// still be arriving). A dashboard that reloads every 30 s thus asks the queriers only for the
// last half minute of each panel.
// Entries are extents (extent.ts), written by the frontend worker that assembles the part.
import { createHash } from 'node:crypto';
import type { ApiAnswer, ApiExecutor, ApiRequest } from '../api/prometheus/index.js';
import { errorOf } from '../api/prometheus/index.js';
import { ErrorType } from '../promql/index.js';
import { LruCache, RedisCache, RedisPool, instrumentedCache } from '../cache/index.js';
import type { Cache, CacheConfig } from '../cache/index.js';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { decodeExtent } from './extent.js';
import type { RequestStats } from './request-stats.js';
import type { Extent } from './extent.js';
import type { AssembleTask } from './merge-pool.js';
import type { ResultsCacheMetrics } from './results-cache-metrics.js';
import { partRequest } from './split.js';
import type { RangeQuery } from './split.js';

export interface ResultsCacheDeps {
  cache: Cache;
  /** MergePool.assemble: the part's answer, and its new extent as a cache entry. */
  assemble: (tenant: string, task: AssembleTask, deadline: number, signal: AbortSignal) => Promise<{ answer: Buffer; extent?: Buffer }>;
  /** The tenant's max_cache_freshness (ms). */
  maxCacheFreshness: (tenant: string) => number;
  metrics: ResultsCacheMetrics;
  now?: () => number;
}

export class ResultsCache {
  readonly #deps: ResultsCacheDeps;
  readonly #now: () => number;

  constructor(deps: ResultsCacheDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Answers `part` of `req` (a query_range request) from the cache and the queriers. */
  /** Never rejects. `via.roundTrip` asks the queriers for the gaps; parts answered from the cache alone are counted in `via.stats`. */
  async part(req: ApiRequest & { deadline: number }, query: string, part: RangeQuery, interval: number, signal: AbortSignal,
    via: { roundTrip: ApiExecutor; stats: RequestStats }): Promise<ApiAnswer> {
    const key = cacheKey(req.tenant, query, part, interval);
    this.#deps.metrics.requests.inc({ request_type: 'query_range' });
    const found = (await this.#deps.cache.fetch([key])).get(key);
    const ext = found === undefined ? undefined : decodeExtent(found);
    // Usable when it touches the part: the pieces then cover the part without a hole.
    const usable = ext !== undefined && ext.end >= part.start - part.step && ext.start <= part.end + part.step ? ext : undefined;
    via.stats.cacheLookups++;
    if (usable !== undefined) via.stats.cacheUsed++;
    const gaps: RangeQuery[] = [];
    if (usable === undefined) gaps.push(part);
    else {
      if (part.start < usable.start) gaps.push({ start: part.start, end: usable.start - part.step, step: part.step });
      if (part.end > usable.end) gaps.push({ start: usable.end + part.step, end: part.end, step: part.step });
    }
    if (gaps.length === 0) {
      this.#deps.metrics.hits.inc({ request_type: 'query_range' });
      via.stats.cachedParts++;
      // The extent is the part (a whole interval of an aligned dashboard): its answer as stored.
      if (usable !== undefined && usable.start === part.start && usable.end === part.end) return { status: 200, body: usable.body };
    }
    const fetched = await Promise.all(gaps.map((g) => via.roundTrip(partRequest(req, g), signal)));
    const failed = fetched.find((a) => a.status !== 200);
    if (failed !== undefined) return failed;
    const body = (a: ApiAnswer): Buffer => (typeof a.body === 'string' ? Buffer.from(a.body) : a.body);
    const bodies = usable === undefined ? fetched.map(body) : orderedPieces(usable, gaps, fetched.map(body));
    const from = Math.min(part.start, usable?.start ?? Infinity);
    const to = Math.min(Math.max(part.end, usable?.end ?? -Infinity), lastCacheable(part, this.#now() - this.#deps.maxCacheFreshness(req.tenant)));
    let assembled;
    try {
      assembled = await this.#deps.assemble(req.tenant, { bodies, from: part.start, to: part.end, extent: to >= from ? { from, to } : undefined }, req.deadline, signal);
    } catch (err) {
      return signal.aborted ? errorOf(ErrorType.Canceled, 'query was canceled') : errorOf(ErrorType.Internal, `assemble a cached part: ${(err as Error).message}`);
    }
    if (assembled.extent !== undefined && (usable === undefined || from < usable.start || to > usable.end)) {
      void this.#deps.cache.store(new Map([[key, assembled.extent]]));
    }
    return { status: 200, body: assembled.answer };
  }
}

/** The cached extent and the fetched gaps, in time order. */
function orderedPieces(ext: Extent, gaps: RangeQuery[], bodies: Buffer[]): Buffer[] {
  const before = gaps.findIndex((g) => g.end < ext.start);
  const after = gaps.findIndex((g) => g.start > ext.end);
  return [...(before >= 0 ? [bodies[before]] : []), ext.body, ...(after >= 0 ? [bodies[after]] : [])];
}

/** The last point of the part's step grid at or before `t`. */
function lastCacheable(part: RangeQuery, t: number): number {
  return part.start + Math.floor((t - part.start) / part.step) * part.step;
}

/** Keyed per tenant, query, step and its phase (points of two grids never meet), split interval and interval number. */
export function cacheKey(tenant: string, query: string, part: RangeQuery, interval: number): string {
  const phase = ((part.start % part.step) + part.step) % part.step;
  const h = createHash('sha256').update(tenant).update('\0').update(query).update('\0')
    .update(`${part.step}:${phase}:${interval}:${Math.floor(part.start / interval)}`).digest('hex');
  return `fe:${h}`;
}

/** The configured cache of results: in memory (per frontend), or Redis (shared by the frontends). */
export function openResultsCache(cfg: CacheConfig, deps: { logger: Logger; registry: Registry }): { cache: Cache; close: () => Promise<void> } {
  const name = 'frontend-results';
  if (cfg.backend !== 'redis') return { cache: instrumentedCache(new LruCache(name, cfg.inmemory.maxSizeBytes), deps.registry), close: async () => {} };
  const pool = new RedisPool(cfg.redis);
  return { cache: instrumentedCache(new RedisCache(name, pool, cfg.redis.expiration, deps), deps.registry), close: () => pool.close() };
}
