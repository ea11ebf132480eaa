/** Parameter parsing with Prometheus' rules and error texts. */
import { parseDurationMs } from '../../promql/parser/index.js';
import { ErrorType, QueryError } from '../../promql/index.js';

/** Earliest and latest times the API accepts when start/end are omitted (ms). */
export const minTime = -62135596800000;
export const maxTime = 253402300799000;

export type Params = Record<string, string | string[] | undefined>;

export function one(p: Params, name: string): string | undefined {
  const v = p[name];
  return Array.isArray(v) ? v[0] : v;
}

export function all(p: Params, name: string): string[] {
  const v = p[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function badParam(name: string, msg: string): QueryError {
  return new QueryError(ErrorType.BadData, `invalid parameter "${name}": ${msg}`);
}

/** Unix seconds with a fraction, or RFC 3339; returns ms. */
export function parseTime(s: string, name: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const secs = Number(s);
    const whole = Math.trunc(secs);
    return whole * 1000 + Math.round((secs - whole) * 1000);
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) return ms;
  }
  throw badParam(name, `cannot parse "${s}" to a valid timestamp`);
}

/** An optional time parameter; Prometheus words its errors differently from required ones. */
export function timeOr(p: Params, name: string, dflt: number): number {
  const s = one(p, name);
  if (s === undefined || s === '') return dflt;
  try {
    return parseTime(s, name);
  } catch {
    throw badParam(name, `Invalid time value for '${name}': cannot parse "${s}" to a valid timestamp`);
  }
}

/** Seconds with a fraction, or a Prometheus duration; returns ms. */
export function parseDuration(s: string, name: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const ms = Number(s) * 1000;
    if (!Number.isFinite(ms)) throw badParam(name, `cannot parse "${s}" to a valid duration. It overflows int64`);
    return Math.round(ms);
  }
  const d = parseDurationMs(s);
  if (d === null) throw badParam(name, `cannot parse "${s}" to a valid duration`);
  return d;
}
