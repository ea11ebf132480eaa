// How rules read and write: PromQL through the querier's executor (the query worker pool, never
// this thread: Cortex's "internal" querier mode), results pushed through the distributor so limits,
// HA and replication apply as they do to remote write.
import type { ApiExecutor, HistogramJson } from '../api/prometheus/index.js';
import { floatHistogramFromJson, parseApiFloat } from '../api/prometheus/index.js';
import { WriteRequest } from '../generated/prometheus/remote.js';
import type { TimeSeries } from '../generated/prometheus/types.js';
import type { FloatHistogram } from '../model/histogram/index.js';
import { isCustomBucketsSchema } from '../model/histogram/index.js';
import { snappyEncode } from '../wire/index.js';

/**
 * One sample of an instant vector: its labels (with __name__ when the query kept it) and value; a
 * native histogram sample has `histogram` and the value 0, as Prometheus' rules see it.
 */
export interface RuleSample {
  labels: Record<string, string>;
  value: number;
  histogram?: FloatHistogram;
}

/** One series of a range selector: its samples as [ms, value] pairs, oldest first. */
export interface RuleSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

export type InstantQuery = (tenant: string, expr: string, ts: number, signal?: AbortSignal) => Promise<RuleSample[]>;
export type RangeSelect = (tenant: string, selector: string, ts: number) => Promise<RuleSeries[]>;
/** Writes one batch of samples for a tenant; rejects with the distributor's reason when refused. */
export type RuleAppend = (tenant: string, series: TimeSeries[]) => Promise<void>;

/** A rule's query failed; `message` is what the API shows as the rule's lastError. */
export class RuleQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleQueryError';
  }
}

/**
 * The executor as the rules' query function. The answer is JSON made by a worker; it is parsed here
 * only up to `maxBytes`, which bounds what a rule costs this thread.
 */
export function ruleQueries(execute: ApiExecutor, maxBytes: number): { query: InstantQuery; select: RangeSelect } {
  const run = async (tenant: string, expr: string, ts: number, signal?: AbortSignal): Promise<{ resultType: string; result: unknown }> => {
    const answer = await execute({ op: 'query', tenant, params: { query: expr, time: String(ts / 1000) }, labelName: '', now: ts }, signal ?? new AbortController().signal);
    if (answer.body.length > maxBytes) throw new RuleQueryError(`query result of ${answer.body.length} bytes exceeds -ruler.max-rule-result-bytes=${maxBytes}`);
    const body = JSON.parse(answer.body.toString()) as { status: string; error?: string; errorType?: string; data: { resultType: string; result: unknown } };
    if (body.status !== 'success') throw new RuleQueryError(`${body.errorType ?? 'error'}: ${body.error ?? 'query failed'}`);
    return body.data;
  };
  return {
    query: async (tenant, expr, ts, signal) => {
      const data = await run(tenant, expr, ts, signal);
      if (data.resultType === 'scalar') return [{ labels: {}, value: parseApiFloat((data.result as [number, string])[1]) }];
      if (data.resultType !== 'vector') throw new RuleQueryError(`rule result is not a vector or scalar: ${data.resultType}`);
      const out: RuleSample[] = [];
      for (const s of data.result as Array<{ metric: Record<string, string>; value?: [number, string]; histogram?: [number, HistogramJson] }>) {
        if (s.histogram !== undefined) out.push({ labels: s.metric, value: 0, histogram: ruleHistogram(s.histogram[1]) });
        else if (s.value !== undefined) out.push({ labels: s.metric, value: parseApiFloat(s.value[1]) });
      }
      return out;
    },
    select: async (tenant, selector, ts) => {
      const data = await run(tenant, selector, ts);
      if (data.resultType !== 'matrix') throw new RuleQueryError(`expected a matrix from ${selector}, got ${data.resultType}`);
      return (data.result as Array<{ metric: Record<string, string>; values?: Array<[number, string]> }>).map((s) => ({
        labels: s.metric,
        points: (s.values ?? []).map(([t, v]) => [Math.round(t * 1000), parseApiFloat(v)] as [number, number]),
      }));
    },
  };
}

/**
 * A histogram of a rule's result. Custom-bucket ones are refused: the answer lists only their
 * populated buckets' bounds, and written with those alone they would not add up with the rest.
 */
function ruleHistogram(j: HistogramJson): FloatHistogram {
  const h = floatHistogramFromJson(j);
  if (isCustomBucketsSchema(h.schema)) throw new RuleQueryError('native histograms with custom buckets in a rule result are not supported: the query answer does not carry all their bounds');
  return h;
}

/** The distributor's push as the rules' appender: one remote-write request per batch. */
export function distributorAppend(push: (tenant: string, body: Buffer) => Promise<{ status: number; message: string }>): RuleAppend {
  return async (tenant, series) => {
    if (series.length === 0) return;
    const body = snappyEncode(Buffer.from(WriteRequest.encode({ timeseries: series, metadata: [] }).finish()));
    const a = await push(tenant, body);
    if (a.status >= 300) throw new RuleQueryError(`write of rule results refused (${a.status}): ${a.message}`);
  };
}
