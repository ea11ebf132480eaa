/**
 * The PromQL engine: parses, loads the selected series from a Queryable, evaluates and applies
 * Prometheus' limits (samples per query, timeout, points per series, concurrent queries).
 */
import type { Registry } from 'prom-client';
import { QueryLimitError, type QueryLimiter } from '../limits/index.js';
import { deadlineSignal, type Deadline } from '../services/index.js';
import { Labels, MetricName } from '../model/labels/index.js';
import type { Queryable } from '../storage/index.js';
import { EngineMetrics } from './engine-metrics.js';
import { Evaluator } from './evaluator.js';
import type { Val } from './evaluator.js';
import type { Expr } from './parser/index.js';
import { ParseError, ValueKind, documentedType, parseExpr, typeOf } from './parser/index.js';
import { selectAll } from './selection.js';
import type { Matrix, QueryValue, Series, Vector } from './value.js';
import { Annotations, ErrorType, QueryError, executionError } from './value.js';

export interface EngineOptions {
  /** How far back an instant vector selector looks for a sample, ms (Prometheus: 5m). */
  lookbackDelta: number;
  /** Most samples one query may load (Prometheus -query.max-samples: 50,000,000). */
  maxSamples: number;
  /** Query timeout in ms (Prometheus -query.timeout: 2m). */
  timeout: number;
  /** Queries evaluated at once; more wait (Prometheus -query.max-concurrency: 20). */
  maxConcurrent: number;
  /** Most points per series in a range query (Prometheus: 11,000). */
  maxPointsPerSeries: number;
  /** Resolution of subqueries without an explicit step, ms (Prometheus: the evaluation interval, 1m). */
  subqueryStep: number;
}

export const defaultEngineOptions: EngineOptions = {
  lookbackDelta: 5 * 60_000,
  maxSamples: 50_000_000,
  timeout: 2 * 60_000,
  maxConcurrent: 20,
  maxPointsPerSeries: 11_000,
  subqueryStep: 60_000,
};

export interface QueryOptions {
  signal?: AbortSignal;
  /** Overrides the engine's lookback delta for this query (ms). */
  lookbackDelta?: number;
  /** A shorter timeout for this query (ms); the engine's timeout still caps it. */
  timeout?: number;
  /** The query's budget (per-tenant limits): samples held count towards its memory estimate. */
  limiter?: QueryLimiter;
  /** Count the samples read per step too (Prometheus' `stats=all`). */
  perStepStats?: boolean;
}

/** Where a query's time went (seconds), as Prometheus' query timers split it. */
export interface QueryTimings {
  /** Preparation, inner evaluation and result sorting. */
  evalTotal: number;
  resultSort: number;
  /** Loading the selected series from storage. */
  queryPreparation: number;
  innerEval: number;
  /** Waiting for a slot among the engine's concurrent queries. */
  execQueue: number;
  /** Queue wait and evaluation. */
  execTotal: number;
}

export interface QueryStats {
  /** Samples copied out of storage for the query. */
  samplesLoaded: number;
  /** Samples selectors read at their steps, as Prometheus' totalQueryableSamples counts them. */
  samplesRead: number;
  /** samplesRead per step (the query's steps in order), with `perStepStats`; null otherwise. */
  samplesReadPerStep: Float64Array | null;
  /** Samples held at once: those loaded for evaluation and the result's points. */
  peakSamples: number;
  timings: QueryTimings;
}

export interface QueryResult {
  value: QueryValue;
  warnings: string[];
  infos: string[];
  /** Where in the query text each warning or info points (offset), when known. */
  positions: ReadonlyMap<string, number>;
  stats: QueryStats;
}

const PARSE_CACHE_ENTRIES = 512;
const PARSE_CACHE_MAX_QUERY_LENGTH = 4096;

export class Engine {
  readonly opts: EngineOptions;
  readonly #metrics: EngineMetrics;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  /** Recently parsed queries (dashboards repeat theirs with new times); the AST is never changed after parsing. */
  readonly #parsed = new Map<string, Expr>();

  /** Metrics go to `registry` when one is given. */
  constructor(opts: Partial<EngineOptions> = {}, registry?: Registry) {
    this.opts = { ...defaultEngineOptions, ...opts };
    this.#metrics = new EngineMetrics(registry);
    this.#metrics.queriesConcurrentMax.set(this.opts.maxConcurrent);
  }

  /** Evaluates `query` at time `t` (ms). Rejects with a ParseError or a QueryError. */
  async instantQuery(q: Queryable, query: string, t: number, qo: QueryOptions = {}): Promise<QueryResult> {
    const expr = this.#parse(query);
    return this.exec(q, expr, t, t, 0, qo);
  }

  /** Evaluates `query` from `start` to `end` every `step` (all ms). Rejects with a ParseError or a QueryError. */
  async rangeQuery(q: Queryable, query: string, start: number, end: number, step: number, qo: QueryOptions = {}): Promise<QueryResult> {
    const expr = this.#parse(query);
    const t = typeOf(expr);
    if (t !== ValueKind.Vector && t !== ValueKind.Scalar) {
      throw new QueryError(
        ErrorType.BadData,
        `invalid expression type "${documentedType(t)}" for range query, must be Scalar or instant Vector`,
      );
    }
    if (step <= 0) throw new QueryError(ErrorType.BadData, 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (end < start) throw new QueryError(ErrorType.BadData, 'end timestamp must not be before start time');
    if ((end - start) / step + 1 > this.opts.maxPointsPerSeries) {
      throw new QueryError(
        ErrorType.BadData,
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
    }
    return this.exec(q, expr, start, end, step, qo);
  }

  /** parseExpr through a small LRU of query texts (a trivial query's parse is a tenth of its CPU). */
  #parse(query: string): Expr {
    const hit = this.#parsed.get(query);
    if (hit !== undefined) {
      this.#parsed.delete(query);
      this.#parsed.set(query, hit);
      return hit;
    }
    const expr = parseExpr(query);
    if (query.length <= PARSE_CACHE_MAX_QUERY_LENGTH) {
      this.#parsed.set(query, expr);
      if (this.#parsed.size > PARSE_CACHE_ENTRIES) this.#parsed.delete(this.#parsed.keys().next().value as string);
    }
    return expr;
  }

  private async exec(q: Queryable, expr: Expr, start: number, end: number, step: number, qo: QueryOptions): Promise<QueryResult> {
    const m = this.#metrics;
    m.queries.inc();
    const queued = performance.now();
    try {
      await this.acquire(qo.signal);
      const execQueue = (performance.now() - queued) / 1000;
      m.queryDuration.observe({ slice: 'queue_time' }, execQueue);
      try {
        const res = await this.run(q, expr, start, end, step, qo);
        res.stats.timings.execQueue = execQueue;
        res.stats.timings.execTotal = (performance.now() - queued) / 1000;
        return res;
      } finally {
        this.release();
      }
    } catch (err) {
      const type = err instanceof QueryError ? err.type : err instanceof QueryLimitError ? ErrorType.Execution : ErrorType.Internal;
      m.failures.inc({ reason: type });
      throw err;
    } finally {
      m.queries.dec();
    }
  }

  private async run(q: Queryable, expr: Expr, start: number, end: number, step: number, qo: QueryOptions): Promise<QueryResult> {
    const limit = Math.min(this.opts.timeout, qo.timeout ?? Infinity);
    const deadline = Date.now() + limit;
    const timeout = deadlineSignal(limit, qo.signal);
    try {
      return await this.#evaluate(q, expr, start, end, step, qo, deadline, timeout);
    } finally {
      timeout.dispose();
    }
  }

  async #evaluate(q: Queryable, expr: Expr, start: number, end: number, step: number, qo: QueryOptions, deadline: number, timeout: Deadline): Promise<QueryResult> {
    const signal = timeout.signal;
    const lookbackDelta = qo.lookbackDelta ?? this.opts.lookbackDelta;
    const annotations = new Annotations();
    const perStepStats = qo.perStepStats === true;
    let sel;
    const prepared = performance.now();
    try {
      const maxSamples = this.opts.maxSamples;
      const subqueryStep = this.opts.subqueryStep;
      sel = await selectAll(expr, q, { start, end, step, lookbackDelta, subqueryStep, maxSamples, limiter: qo.limiter, signal, annotations, perStepStats });
    } catch (err) {
      throw abortError(err, timeout);
    }
    const evaluated = performance.now();
    this.#metrics.queryDuration.observe({ slice: 'prepare_time' }, (evaluated - prepared) / 1000);
    this.#metrics.samples.inc(sel.samples);
    const opts = {
      queryStart: start,
      queryEnd: end,
      lookbackDelta,
      subqueryStep: this.opts.subqueryStep,
      signal,
      deadline,
      annotations,
      perStepStats,
    };
    const ev = new Evaluator(start, end, step, sel, opts);
    let val: Val;
    try {
      val = ev.eval(expr);
    } catch (err) {
      throw abortError(err, timeout);
    } finally {
      this.#metrics.queryDuration.observe({ slice: 'inner_eval' }, (performance.now() - evaluated) / 1000);
    }
    const sorting = performance.now();
    const value = toQueryValue(val, ev, step === 0);
    const done = performance.now();
    const timings = {
      evalTotal: (done - prepared) / 1000, resultSort: (done - sorting) / 1000, queryPreparation: (evaluated - prepared) / 1000,
      innerEval: (sorting - evaluated) / 1000, execQueue: 0, execTotal: 0,
    };
    return {
      value,
      warnings: [...sel.warnings, ...annotations.warnings],
      infos: [...annotations.infos],
      positions: annotations.positions,
      stats: {
        samplesLoaded: sel.samples, samplesRead: ev.samples.total, samplesReadPerStep: ev.samples.perStep,
        peakSamples: sel.held + pointsOf(value), timings,
      },
    };
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.#running < this.opts.maxConcurrent) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.#running++;
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(go);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new QueryError(ErrorType.Canceled, 'query was canceled while waiting for a query slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(go);
    });
  }

  private release(): void {
    this.#running--;
    const next = this.#waiting.shift();
    if (next !== undefined) next();
  }
}

function abortError(err: unknown, timeout: Deadline): unknown {
  if (err instanceof QueryError && err.type === ErrorType.Canceled && timeout.timedOut()) {
    return new QueryError(ErrorType.Timeout, 'query timed out in query execution');
  }
  return err;
}

/** Applies delayed `__name__` removal and checks that no two series share a label set. */
function cleanup(m: Matrix): Matrix {
  const seen = new Set<string>();
  const drop = new Set([MetricName]);
  for (const s of m) {
    if (s.dropName) {
      s.metric = s.metric.drop(drop);
      s.dropName = false;
    }
    if (seen.has(s.metric.key)) throw executionError('vector cannot contain metrics with the same labelset');
    seen.add(s.metric.key);
  }
  return m;
}

function pointsOf(v: QueryValue): number {
  switch (v.type) {
    case 'matrix': {
      let n = 0;
      for (const s of v.matrix) n += s.ts.length + (s.hts?.length ?? 0);
      return n;
    }
    case 'vector':
      return v.vector.length;
    default:
      return 1;
  }
}

function toQueryValue(val: Val, ev: Evaluator, instant: boolean): QueryValue {
  switch (val.k) {
    case 'string':
      return { type: 'string', string: val.s, t: ev.start };
    case 'scalar':
      if (instant) return { type: 'scalar', scalar: { t: ev.start, v: val.v[0] } };
      return { type: 'matrix', matrix: [{ metric: Labels.EMPTY, ts: ev.timesOf(), fs: Array.from(val.v), dropName: false }] };
    case 'range':
      return { type: 'matrix', matrix: cleanup(val.m) };
    case 'vector': {
      const m = cleanup(val.m);
      if (!instant) return { type: 'matrix', matrix: m.sort((a: Series, b: Series) => Labels.compare(a.metric, b.metric)) };
      const vector: Vector = [];
      for (const s of m) {
        if (s.ts.length > 0) vector.push({ metric: s.metric, t: ev.start, f: s.fs[0], dropName: false });
        else if (s.hs !== undefined && s.hs.length > 0) vector.push({ metric: s.metric, t: ev.start, f: 0, dropName: false, h: s.hs[0] });
      }
      return { type: 'vector', vector };
    }
  }
}

export { ParseError };
