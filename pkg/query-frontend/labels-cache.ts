// The labels query cache (Mimir's results cache for label names and values, extended to series):
// whole answers of /api/v1/labels, /api/v1/label/{name}/values and /api/v1/series per tenant and
// parameters, kept for the tenant's results_cache_ttl_for_labels_query (0: not cached). Label
// answers come from whole blocks, so their start and end are widened to 2h block boundaries as
// Mimir does: requests a few seconds apart share an entry. Series answers keep their exact range.
import { createHash } from 'node:crypto';
import type { ApiAnswer, ApiExecutor, ApiRequest } from '../api/prometheus/index.js';
import { ApiOp, parseTime } from '../api/prometheus/index.js';
import type { Cache } from '../cache/index.js';
import type { ResultsCacheMetrics } from './results-cache-metrics.js';

const blockRange = 2 * 3_600_000;
/** An entry: its expiry (epoch ms, float64) before the answer's body. */
const expiryBytes = 8;

export interface LabelsCacheDeps {
  cache: Cache;
  /** The tenant's (or federated tenants') results_cache_ttl_for_labels_query in ms; 0 disables. */
  ttl: (tenant: string) => number;
  metrics: ResultsCacheMetrics;
  now?: () => number;
}

export class LabelsCache {
  readonly #deps: LabelsCacheDeps;
  readonly #now: () => number;

  constructor(deps: LabelsCacheDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Whether `req` is one this cache answers (a labels or series request of a tenant with a TTL). */
  handles(req: ApiRequest): boolean {
    return (req.op === ApiOp.Labels || req.op === ApiOp.LabelValues || req.op === ApiOp.Series) && req.noStore !== true && this.#deps.ttl(req.tenant) > 0;
  }

  /** Answers `req` from the cache, or with `roundTrip` and keeps a successful answer for the TTL. */
  async answer(req: ApiRequest, signal: AbortSignal, roundTrip: ApiExecutor): Promise<ApiAnswer> {
    const key = labelsCacheKey(req);
    // Unparsable times: the querier answers with the 400 naming the parameter.
    if (key === undefined) return roundTrip(req, signal);
    const type = { request_type: 'label_names_and_values' };
    this.#deps.metrics.requests.inc(type);
    const found = (await this.#deps.cache.fetch([key])).get(key);
    if (found !== undefined && found.length >= expiryBytes && found.readDoubleBE(0) > this.#now()) {
      this.#deps.metrics.hits.inc(type);
      return { status: 200, body: found.subarray(expiryBytes) };
    }
    const answer = await roundTrip(req, signal);
    if (answer.status !== 200) return answer;
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
    const entry = Buffer.allocUnsafe(expiryBytes + body.length);
    entry.writeDoubleBE(this.#now() + this.#deps.ttl(req.tenant), 0);
    body.copy(entry, expiryBytes);
    void this.#deps.cache.store(new Map([[key, entry]]));
    return answer;
  }
}

/**
 * Keyed per tenant, endpoint, label name, start and end (widened to 2h block boundaries for labels),
 * the match[] selectors (sorted and deduplicated: their order does not change the answer) and limit.
 * Undefined when start or end cannot be parsed.
 */
export function labelsCacheKey(req: ApiRequest): string | undefined {
  const { params } = req;
  let start: number | undefined;
  let end: number | undefined;
  try {
    start = typeof params.start === 'string' ? parseTime(params.start, 'start') : undefined;
    end = typeof params.end === 'string' ? parseTime(params.end, 'end') : undefined;
  } catch {
    return undefined;
  }
  if (req.op !== ApiOp.Series) {
    if (start !== undefined) start = Math.floor(start / blockRange) * blockRange;
    if (end !== undefined) end = Math.ceil(end / blockRange) * blockRange;
  }
  const raw = params['match[]'];
  const matches = [...new Set(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])].sort();
  const limit = typeof params.limit === 'string' ? params.limit : '';
  const h = createHash('sha256');
  for (const part of [req.tenant, req.op, req.labelName, String(start ?? ''), String(end ?? ''), limit, ...matches]) h.update(part).update('\0');
  return `fe-labels:${h.digest('hex')}`;
}
