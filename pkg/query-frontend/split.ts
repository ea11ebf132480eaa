// Step alignment and splitting of range queries by interval (Cortex's query_range middlewares).
// Every point of a range query is evaluated on its own (Prometheus evaluates step by step), so
// the parts of a split query, each starting on the original step grid, give the very points of
// the whole query; `@ <time>` and `offset` mean the same in every part. `@ start()` and
// `@ end()` do not (they name the part's own ends), so such queries are not split.
import type { ApiRequest } from '../api/prometheus/index.js';
import { parseDuration, parseTime } from '../api/prometheus/index.js';

/** Prometheus refuses range queries of more points than this; such a query is sent whole to get its error. */
const maxPointsPerSeries = 11_000;

export interface RangeQuery {
  start: number;
  end: number;
  step: number;
}

/** The range of a query_range request, or undefined when a parameter is missing or bad (the querier answers those). */
export function rangeOf(params: ApiRequest['params']): RangeQuery | undefined {
  const s = single(params.start);
  const e = single(params.end);
  const st = single(params.step);
  if (s === undefined || e === undefined || st === undefined) return undefined;
  try {
    const r = { start: parseTime(s, 'start'), end: parseTime(e, 'end'), step: parseDuration(st, 'step') };
    if (r.step <= 0 || r.end < r.start || (r.end - r.start) / r.step > maxPointsPerSeries) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** Cortex's align_queries_with_step: start and end moved down to multiples of the step. */
export function alignToStep(r: RangeQuery): RangeQuery {
  return { start: r.start - mod(r.start, r.step), end: r.end - mod(r.end, r.step), step: r.step };
}

/** Whether the parts of `query` mean what the whole does (no `@ start()` / `@ end()`). */
export function splittable(query: string): boolean {
  return !/@\s*(start|end)\s*\(\s*\)/.test(query);
}

/**
 * The parts of `r` at multiples of `interval` (ms since the epoch: UTC days for 24h): each part
 * ends on the last step before a boundary and the next starts one step later, on the same grid.
 */
export function splitByInterval(r: RangeQuery, interval: number): RangeQuery[] {
  const parts: RangeQuery[] = [];
  for (let start = r.start; start <= r.end;) {
    let end = lastStepBefore(start, r.step, interval);
    if (end + r.step > r.end) end = r.end;
    parts.push({ start, end, step: r.step });
    start = end + r.step;
  }
  return parts;
}

/** The last point of the grid `t + k·step` before the next multiple of `interval` after `t`. */
function lastStepBefore(t: number, step: number, interval: number): number {
  const boundary = (Math.floor(t / interval) + 1) * interval - 1;
  return boundary - ((boundary - t) % step);
}

/** `req` asking for `part` instead: start and end as Unix seconds. */
export function partRequest(req: ApiRequest, part: RangeQuery): ApiRequest {
  return { ...req, params: { ...req.params, start: String(part.start / 1000), end: String(part.end / 1000) } };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The remainder with the divisor's sign: times before 1970 align down too. */
function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
