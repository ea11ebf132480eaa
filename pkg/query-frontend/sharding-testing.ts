// For tests: query sharding end to end in one thread, as an engine. Each leg query of a query's
// shard plan is evaluated by the engine, its answer written as a querier writes it, and the outer
// expression evaluated over those answers exactly as the frontend's worker does; the answer is read
// back into the engine's values so that the promqltest runner can check it.
import { encodeData, floatHistogramFromJson, goJson, parseApiFloat } from '../api/prometheus/index.js';
import type { HistogramJson } from '../api/prometheus/index.js';
import { Labels } from '../model/labels/index.js';
import { Engine } from '../promql/index.js';
import type { QueryOptions, QueryResult, QueryStats, QueryValue, ScriptEngine } from '../promql/index.js';
import type { Queryable } from '../storage/index.js';
import { ShardedCustomBucketsError, evaluateSharded } from './shard-eval.js';
import { planQuery } from './shard-rewrite.js';

interface At {
  time?: number;
  range?: { start: number; end: number; step: number };
}

/** The conformance scripts read no stats: a sharded answer carries none. */
const noStats: QueryStats = {
  samplesLoaded: 0, samplesRead: 0, samplesReadPerStep: null, peakSamples: 0,
  timings: { evalTotal: 0, resultSort: 0, queryPreparation: 0, innerEval: 0, execQueue: 0, execTotal: 0 },
};

export class ShardingEngine implements ScriptEngine {
  readonly #shards: number;
  readonly #engine: Engine;
  /** Queries that were sharded (the rest ran unsharded). */
  sharded = 0;

  constructor(shards: number, engine = new Engine({ timeout: 60_000 })) {
    this.#shards = shards;
    this.#engine = engine;
  }

  instantQuery(q: Queryable, query: string, t: number, qo: QueryOptions = {}): Promise<QueryResult> {
    return this.#run(q, query, { time: t }, qo);
  }

  rangeQuery(q: Queryable, query: string, start: number, end: number, step: number, qo: QueryOptions = {}): Promise<QueryResult> {
    return this.#run(q, query, { range: { start, end, step } }, qo);
  }

  #direct(q: Queryable, query: string, at: At, qo: QueryOptions): Promise<QueryResult> {
    return at.range === undefined
      ? this.#engine.instantQuery(q, query, at.time ?? 0, qo)
      : this.#engine.rangeQuery(q, query, at.range.start, at.range.end, at.range.step, qo);
  }

  async #run(q: Queryable, query: string, at: At, qo: QueryOptions): Promise<QueryResult> {
    const plan = planQuery(query, this.#shards, 0);
    if (plan === undefined) return this.#direct(q, query, at, qo);
    const encoder = new TextEncoder();
    const legs = [];
    for (const leg of plan.legs) {
      const bodies: Uint8Array[] = [];
      for (const lq of leg.queries) bodies.push(encoder.encode(answerBody(await this.#direct(q, lq, at, qo))));
      legs.push({ bodies, labelShards: leg.labelShards });
    }
    let body: string;
    try {
      body = await evaluateSharded({ outer: plan.outer, legs, ...at }, Date.now() + 60_000, new AbortController().signal);
    } catch (err) {
      if (err instanceof ShardedCustomBucketsError) return this.#direct(q, query, at, qo);
      throw err;
    }
    this.sharded++;
    return decodeAnswer(body);
  }
}

/** A successful answer's body, as a querier writes it. */
export function answerBody(res: QueryResult): string {
  let body = `{"status":"success","data":${encodeData(res.value)}`;
  if (res.warnings.length > 0) body += `,"warnings":${goJson(res.warnings)}`;
  if (res.infos.length > 0) body += `,"infos":${goJson(res.infos)}`;
  return body + '}';
}

interface AnswerJson {
  data: { resultType: string; result: unknown };
  warnings?: string[];
  infos?: string[];
}

/** A float answer read back into the engine's values. */
function decodeAnswer(body: string): QueryResult {
  const a = JSON.parse(body) as AnswerJson;
  let value: QueryValue;
  switch (a.data.resultType) {
    case 'scalar': {
      const [t, v] = a.data.result as [number, string];
      value = { type: 'scalar', scalar: { t: Math.round(t * 1000), v: parseApiFloat(v) } };
      break;
    }
    case 'vector': {
      const r = a.data.result as Array<{ metric: Record<string, string>; value?: [number, string]; histogram?: [number, HistogramJson] }>;
      value = {
        type: 'vector',
        vector: r.map((s) => s.histogram !== undefined
          ? { metric: Labels.fromRecord(s.metric), t: Math.round(s.histogram[0] * 1000), f: 0, h: floatHistogramFromJson(s.histogram[1]), dropName: false }
          : { metric: Labels.fromRecord(s.metric), t: Math.round((s.value as [number, string])[0] * 1000), f: parseApiFloat((s.value as [number, string])[1]), dropName: false }),
      };
      break;
    }
    default: {
      const r = a.data.result as Array<{ metric: Record<string, string>; values?: [number, string][]; histograms?: Array<[number, HistogramJson]> }>;
      value = {
        type: 'matrix',
        matrix: r.map((s) => ({
          metric: Labels.fromRecord(s.metric),
          ts: (s.values ?? []).map((p) => Math.round(p[0] * 1000)),
          fs: (s.values ?? []).map((p) => parseApiFloat(p[1])),
          dropName: false,
          ...(s.histograms === undefined ? {} : {
            hts: s.histograms.map((p) => Math.round(p[0] * 1000)),
            hs: s.histograms.map((p) => floatHistogramFromJson(p[1])),
          }),
        })),
      };
    }
  }
  return { value, warnings: a.warnings ?? [], infos: a.infos ?? [], positions: new Map(), stats: noStats };
}
