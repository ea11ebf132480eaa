// The outer expression of a sharded query (shard-rewrite.ts), evaluated in a query-frontend worker
// over its legs' answers: each leg's series become an in-memory storage that the leg's selector
// reads. Its cost grows with the answers, hence the worker (merge-worker.ts).
//
// A leg's answer has points only at the query's steps; a selector looks back up to 5m, and would
// carry a point into the next steps where the series has none. A staleness marker one step after
// each point not followed by another ends the series there, so the selector sees at each step
// exactly the leg's point of that step (as Mimir's embedded queries do). Native histograms are read
// back from their JSON (floatHistogramFromJson: the same buckets, bounds and counts).
import { Labels, QueryShardLabel, formatQueryShard } from '../model/labels/index.js';
import type { Matcher } from '../model/labels/index.js';
import { encodeData, floatHistogramFromJson, goJson, parseApiFloat } from '../api/prometheus/index.js';
import { isCustomBucketsSchema } from '../model/histogram/index.js';
import type { HistogramJson } from '../api/prometheus/index.js';
import type { FloatHistogram } from '../model/histogram/index.js';
import { Engine, MemoryStorage } from '../promql/index.js';
import type { QueryResult } from '../promql/index.js';
import type { Querier, Queryable, SelectHints } from '../storage/index.js';
import { seriesSetOf } from '../storage/index.js';
import { StaleNaN } from '../tsdb/index.js';
import { LegLabel } from './shard-rewrite.js';

export interface ShardEvalTask {
  outer: string;
  /** Each leg's answers (successful query or query_range bodies), shard 1 first. */
  legs: Array<{ bodies: Uint8Array[]; labelShards: boolean }>;
  /** An instant query at `time`, or a range query (all ms). */
  time?: number;
  range?: { start: number; end: number; step: number };
}

/**
 * A leg answered with native histograms of custom buckets: the JSON lists only their populated
 * buckets' bounds, and shards with different populated buckets would not add up, so the query is
 * run unsharded.
 */
export class ShardedCustomBucketsError extends Error {
  constructor() {
    super('a shard answered with native histograms of custom buckets');
    this.name = 'ShardedCustomBucketsError';
  }
}

/** A histogram of a leg's answer; custom-bucket ones end the sharded evaluation. */
function legHistogram(j: HistogramJson): FloatHistogram {
  const h = floatHistogramFromJson(j);
  if (isCustomBucketsSchema(h.schema)) throw new ShardedCustomBucketsError();
  return h;
}

interface AnswerJson {
  status: string;
  data: { resultType: string; result: SeriesJson[] };
  warnings?: string[];
  infos?: string[];
}

interface SeriesJson {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
  histogram?: [number, HistogramJson];
  histograms?: Array<[number, HistogramJson]>;
}

// No per-worker limit on concurrency beyond the pool's one task at a time.
const engine = new Engine({ maxConcurrent: 1 });

/** The sharded query's answer body, as a querier would give the unsharded query. */
export async function evaluateSharded(task: ShardEvalTask, deadline: number, signal: AbortSignal): Promise<string> {
  const warnings = new Set<string>();
  const infos = new Set<string>();
  const decoder = new TextDecoder();
  const stores = task.legs.map((leg) => {
    const db = new MemoryStorage();
    leg.bodies.forEach((body, i) => {
      const a = JSON.parse(decoder.decode(body)) as AnswerJson;
      if (a.status !== 'success') throw new Error('BUG: evaluating over an answer that is not a success');
      for (const w of a.warnings ?? []) warnings.add(w);
      for (const x of a.infos ?? []) infos.add(x);
      const shard = leg.labelShards ? formatQueryShard({ index: i + 1, count: leg.bodies.length }) : undefined;
      load(db, a, shard, task.range?.step ?? 0, task.range?.end ?? 0);
    });
    return db;
  });
  const q = legsQueryable(stores);
  const opts = { signal, timeout: Math.max(0, deadline - Date.now()) };
  const res: QueryResult = task.range === undefined
    ? await engine.instantQuery(q, task.outer, task.time ?? 0, opts)
    : await engine.rangeQuery(q, task.outer, task.range.start, task.range.end, task.range.step, opts);
  for (const w of res.warnings) warnings.add(w);
  for (const x of res.infos) infos.add(x);
  let body = `{"status":"success","data":${encodeData(res.value)}`;
  if (warnings.size > 0) body += `,"warnings":${goJson([...warnings])}`;
  if (infos.size > 0) body += `,"infos":${goJson([...infos])}`;
  return body + '}';
}

/**
 * Adds an answer's series to `db`, with `__query_shard__` when given; `step` > 0 for a range query
 * ending at `end`. Native histograms are read back from their JSON (floatHistogramFromJson: the
 * same buckets, bounds and counts; the counter-reset hint is not in the JSON).
 */
function load(db: MemoryStorage, a: AnswerJson, shard: string | undefined, step: number, end: number): void {
  for (const s of a.data.result) {
    const ls = shard === undefined ? Labels.fromRecord(s.metric) : Labels.fromRecord({ ...s.metric, [QueryShardLabel]: shard });
    if (s.value !== undefined) db.append(ls, Math.round(s.value[0] * 1000), parseApiFloat(s.value[1]));
    else if (s.histogram !== undefined) db.appendHistogram(ls, Math.round(s.histogram[0] * 1000), legHistogram(s.histogram[1]));
    else loadPoints(db, ls, s, step, end);
  }
}

/** A range query's points of one series, floats and histograms by time, with a staleness marker after each gap. */
function loadPoints(db: MemoryStorage, ls: Labels, s: SeriesJson, step: number, end: number): void {
  const points: Array<[number, number | FloatHistogram]> = [
    ...(s.values ?? []).map(([t, v]): [number, number] => [Math.round(t * 1000), parseApiFloat(v)]),
    ...(s.histograms ?? []).map(([t, h]): [number, FloatHistogram] => [Math.round(t * 1000), legHistogram(h)]),
  ].sort((x, y) => x[0] - y[0]);
  for (let i = 0; i < points.length; i++) {
    const [t, v] = points[i];
    if (typeof v === 'number') db.append(ls, t, v);
    else db.appendHistogram(ls, t, v);
    const next = i + 1 < points.length ? points[i + 1][0] : Infinity;
    if (next !== t + step && t + step <= end) db.append(ls, t + step, StaleNaN);
  }
}

/** Leg i's series for the selector `{__myelin_leg__="<i>"}`. */
function legsQueryable(stores: MemoryStorage[]): Queryable {
  return {
    async querier(mint, maxt): Promise<Querier> {
      const qs = await Promise.all(stores.map((db) => db.querier(mint, maxt)));
      return {
        select: (hints: SelectHints, ...matchers: Matcher[]) => {
          const leg = matchers.find((m) => m.name === LegLabel);
          const q = leg === undefined ? undefined : qs[Number(leg.value)];
          return q === undefined ? seriesSetOf([]) : q.select(hints, ...matchers.filter((m) => m.name !== LegLabel));
        },
        labelNames: async () => [],
        labelValues: async () => [],
        close: async () => {},
      };
    },
  };
}
