/**
 * The work behind Prometheus' query API (/api/v1/query, query_range, series, labels, label values,
 * metadata, query_exemplars, format_query), apart from HTTP: a request in, the finished answer out. It runs where
 * the process puts query work — a query worker thread in Myelin (docs/architecture.md), or the
 * caller's thread in tests — so everything it needs travels in the request.
 */
import { QueryLimitError, QueryLimiter, noQueryLimits, queryLengthError, type QueryLimits, type QueryStats } from '../../limits/index.js';
import type { Labels, Matcher } from '../../model/labels/index.js';
import type { Queryable } from '../../storage/index.js';
import type { Engine, QueryOptions, QueryResult } from '../../promql/index.js';
import { ErrorType, QueryError } from '../../promql/index.js';
import { ParseError, extractSelectors, lineCol, parseExpr, parseSeriesSelector, prettyPrint } from '../../promql/parser/index.js';
import { encodeData, encodeExemplars, goJson } from './encode.js';
import { remoteRead } from './remote-read.js';
import { queryStatsJson } from './query-stats.js';
import { CardinalityOp, cardinality, type CardinalitySource } from './cardinality.js';
import { cutToLimit, labelLimit, storageLimit } from './label-limits.js';
import type { Params } from './params.js';
import { all, badParam, maxTime, minTime, one, parseDuration, parseTime, timeOr } from './params.js';

export interface MetricMetadata {
  type: string;
  help: string;
  unit: string;
}

export const ApiOp = {
  Query: 'query',
  QueryRange: 'query_range',
  Series: 'series',
  Labels: 'labels',
  LabelValues: 'label_values',
  Metadata: 'metadata',
  FormatQuery: 'format_query',
  QueryExemplars: 'query_exemplars',
  /** Prometheus remote read (POST /api/v1/read): `body` is the snappy-compressed ReadRequest. */
  RemoteRead: 'remote_read',
  ...CardinalityOp,
} as const;
export type ApiOp = (typeof ApiOp)[keyof typeof ApiOp];

export interface ApiRequest {
  op: ApiOp;
  /** The tenant, or several joined by `|` (federated). */
  tenant: string;
  /** Query-string and form parameters, repeated keys as arrays. */
  params: Params;
  /** The `:name` of /api/v1/label/:name/values; '' otherwise. */
  labelName: string;
  /** The default evaluation time (ms), the wall clock when the request arrived. */
  now: number;
  /** Epoch ms by which the answer is due (-querier.timeout from arrival); none when absent. */
  deadline?: number;
  /** The request body, for the operations that read one (remote read). */
  body?: Uint8Array;
  /** The client sent `Cache-Control: no-store`: no cached result may answer it (query-frontend). */
  noStore?: boolean;
}

/** A finished answer: the HTTP status and the JSON body (as text, or UTF-8 bytes from a worker). */
export interface ApiAnswer {
  status: number;
  body: string | Buffer;
  /** For failures: Prometheus' error type and message, for the caller's log. */
  errorType?: string;
  error?: string;
  /** Response headers when the body is not JSON (remote read's protobuf). */
  headers?: Record<string, string>;
  /** What a data request fetched, for the query-frontend's query stats. */
  stats?: QueryStats;
}

/** An answer made in this thread, its body still text. */
export type TextAnswer = ApiAnswer & { body: string };

/** One series' exemplars, oldest first. */
export interface SeriesExemplars {
  seriesLabels: Labels;
  exemplars: { labels: Labels; value: number; ts: number }[];
}

/** What the API reads: the engine, a tenant's data, metric metadata and exemplars. */
export interface ApiBackend {
  engine: Engine;
  /** The data a tenant may read, within `limiter`: the request's budget, shared by everything it reads. */
  queryable: (tenant: string, limiter: QueryLimiter) => Queryable;
  metadata?: (tenant: string) => Promise<Record<string, MetricMetadata[]>>;
  /** The exemplars in [start, end] of the series matching any matcher set, series in label order. */
  exemplars?: (tenant: string, start: number, end: number, matcherSets: Matcher[][]) => Promise<SeriesExemplars[]>;
  /** The tenant's cardinality figures (the cardinality endpoints answer 400 without it). */
  cardinality?: CardinalitySource;
  /** The tenant's per-query limits, plain data; none when not given. */
  limits?: (tenant: string) => QueryLimits;
  /** Called once per data request (query, series, labels) with what it fetched and its error, if any. */
  observe?: (tenant: string, stats: QueryStats, err: unknown) => void;
}

export const statusOfErrorType: Record<string, number> = {
  [ErrorType.BadData]: 400,
  [ErrorType.Execution]: 422,
  [ErrorType.Timeout]: 503,
  [ErrorType.Canceled]: 499,
  [ErrorType.Unavailable]: 503,
  [ErrorType.Internal]: 500,
};

/**
 * Runs `req`; never rejects: failures become Prometheus' error answers. `sink`, when given, takes
 * a streamed remote read's frames as they are made (the answer's body is then empty).
 */
export async function executeApi(req: ApiRequest, backend: ApiBackend, signal?: AbortSignal, sink?: (bytes: Uint8Array) => void): Promise<ApiAnswer> {
  let stats: QueryStats | undefined;
  const b: ApiBackend = { ...backend, observe: (tenant, s, err) => {
    stats = s;
    backend.observe?.(tenant, s, err);
  } };
  try {
    if (req.op === ApiOp.RemoteRead) return { ...(await limited(req, b, (limiter) => remoteRead(req, b, limiter, signal, sink))), stats };
    if (isCardinalityOp(req.op)) return { ...(await limited(req, b, (limiter) => cardinalityAnswer(req.op as CardinalityOp, req, b, limiter))), stats };
    return { ...success(await run(req, b, signal)), stats };
  } catch (err) {
    return { ...errorAnswer(err), stats };
  }
}

const cardinalityOps: ReadonlySet<string> = new Set(Object.values(CardinalityOp));
const isCardinalityOp = (op: ApiOp): boolean => cardinalityOps.has(op);

async function cardinalityAnswer(op: CardinalityOp, req: ApiRequest, b: ApiBackend, limiter: QueryLimiter): Promise<TextAnswer> {
  if (b.cardinality === undefined) throw new QueryError(ErrorType.BadData, 'the cardinality endpoints need the ingesters of a querier');
  return { status: 200, body: await cardinality(op, req.tenant, req.params, limiter.limits, b.cardinality) };
}

/** Prometheus' error envelope for `err`. */
export function errorAnswer(err: unknown): TextAnswer {
  let type: string = ErrorType.Internal;
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof QueryError) type = err.type;
  // Per-query limits: the limit's own message, 422 (or 400 for a request asking too much), as Cortex.
  else if (err instanceof QueryLimitError) type = err.errorType === 'bad_data' ? ErrorType.BadData : ErrorType.Execution;
  else if (err instanceof ParseError) {
    type = ErrorType.BadData;
    message = `invalid parameter "query": ${message}`;
  }
  return errorOf(type, message);
}

export function errorOf(type: string, message: string): TextAnswer {
  return {
    status: statusOfErrorType[type] ?? 500,
    body: `{"status":"error","errorType":${goJson(type)},"error":${goJson(message)}}`,
    errorType: type,
    error: message,
  };
}

class Envelope {
  /** The `data` member, already JSON. */
  readonly data: string;
  readonly warnings: string[];
  readonly infos: string[];
  constructor(data: string, warnings: string[] = [], infos: string[] = []) {
    this.data = data;
    this.warnings = warnings;
    this.infos = infos;
  }
}

/** Prometheus' success envelope. */
function success(e: Envelope): TextAnswer {
  let body = `{"status":"success","data":${e.data}`;
  if (e.warnings.length > 0) body += `,"warnings":${goJson(e.warnings)}`;
  if (e.infos.length > 0) body += `,"infos":${goJson(e.infos)}`;
  return { status: 200, body: body + '}' };
}

async function run(req: ApiRequest, b: ApiBackend, signal: AbortSignal | undefined): Promise<Envelope> {
  switch (req.op) {
    case ApiOp.Metadata:
      return json(await metadata(req, b));
    case ApiOp.FormatQuery:
      return json(prettyPrint(parseExpr(one(req.params, 'query') ?? '')));
    default:
      return limited(req, b, (limiter) => read(req, b, limiter, signal));
  }
}

/** Runs a data request with one budget for everything it reads, observed once it is done. */
async function limited<T>(req: ApiRequest, b: ApiBackend, fn: (limiter: QueryLimiter) => Promise<T>): Promise<T> {
  const limiter = new QueryLimiter(b.limits?.(req.tenant) ?? noQueryLimits, { partialResponse: partialResponseOf(req.params) });
  try {
    const out = await fn(limiter);
    b.observe?.(req.tenant, limiter.stats(), undefined);
    return out;
  } catch (err) {
    b.observe?.(req.tenant, limiter.stats(), err);
    throw err;
  }
}

/** The request's `partial_response` (Thanos): true or false; absent is false. */
function partialResponseOf(p: Params): boolean {
  const v = one(p, 'partial_response');
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw badParam('partial_response', `cannot parse "${v}" to a boolean`);
}

async function read(req: ApiRequest, b: ApiBackend, limiter: QueryLimiter, signal: AbortSignal | undefined): Promise<Envelope> {
  const p = req.params;
  switch (req.op) {
    case ApiOp.Query: {
      const query = one(p, 'query') ?? '';
      const t = timeOr(p, 'time', req.now);
      const res = await b.engine.instantQuery(b.queryable(req.tenant, limiter), query, t, queryOptions(req, signal, limiter));
      limiter.countSamples(res.stats.samplesRead);
      return envelope(res, query, p, t, 0);
    }
    case ApiOp.QueryRange: {
      const start = parseTime(required(p, 'start'), 'start');
      const end = parseTime(required(p, 'end'), 'end');
      if (end < start) throw badParam('end', 'end timestamp must not be before start time');
      // As Cortex's query-frontend: a range longer than max_query_length is the request's fault (400).
      const maxLength = limiter.limits.maxQueryLength;
      if (maxLength > 0 && end - start > maxLength) throw queryLengthError(end - start, maxLength, 'bad_data');
      const step = parseDuration(required(p, 'step'), 'step');
      const query = one(p, 'query') ?? '';
      const res = await b.engine.rangeQuery(b.queryable(req.tenant, limiter), query, start, end, step, queryOptions(req, signal, limiter));
      limiter.countSamples(res.stats.samplesRead);
      return envelope(res, query, p, start, step);
    }
    case ApiOp.Series:
      return json(await series(req, b, limiter, signal));
    case ApiOp.QueryExemplars:
      return queryExemplars(req, b, limiter);
    default:
      return labels(req, b, limiter);
  }
}

function json(v: unknown): Envelope {
  return new Envelope(goJson(v));
}

async function series(req: ApiRequest, b: ApiBackend, limiter: QueryLimiter, signal: AbortSignal | undefined): Promise<Record<string, string>[]> {
  const p = req.params;
  const sets = matcherSets(p);
  if (sets.length === 0) throw new QueryError(ErrorType.BadData, 'no match[] parameter provided');
  const start = timeOr(p, 'start', minTime);
  const end = timeOr(p, 'end', maxTime);
  const q = await b.queryable(req.tenant, limiter).querier(start, end);
  try {
    const seen = new Map<string, Record<string, string>>();
    for (const ms of sets) {
      const set = q.select({ start, end, step: 0, func: 'series', range: 0, sortSeries: true }, ...ms);
      while (await set.next()) {
        if (signal?.aborted) throw new QueryError(ErrorType.Canceled, 'series request was canceled');
        const ls = set.at().labels;
        if (!seen.has(ls.key)) seen.set(ls.key, ls.toRecord());
      }
      const err = set.err();
      if (err instanceof QueryLimitError) throw err;
      if (err !== undefined) throw new QueryError(ErrorType.Execution, `select series: ${err.message}`, { cause: err });
    }
    return [...seen.values()];
  } finally {
    await q.close();
  }
}

/**
 * /api/v1/query_exemplars (Prometheus queryExemplars): the exemplars of the series every selector
 * of `query` selects. The tenant's -querier.max-query-lookback cuts the range and its fetched-series
 * limit counts the series answered.
 */
async function queryExemplars(req: ApiRequest, b: ApiBackend, limiter: QueryLimiter): Promise<Envelope> {
  const p = req.params;
  let start = timeOr(p, 'start', minTime);
  const end = timeOr(p, 'end', maxTime);
  if (end < start) throw badParam('end', 'end timestamp must not be before start timestamp');
  const selectors = extractSelectors(parseExpr(one(p, 'query') ?? ''));
  // As Prometheus: a query without selectors (`1 + 1`) has no exemplars to look up.
  if (selectors.length === 0) return new Envelope('null');
  const lookback = limiter.limits.maxQueryLookback;
  if (lookback > 0) start = Math.max(start, req.now - lookback);
  if (end < start || b.exemplars === undefined) return new Envelope('[]');
  const found = await b.exemplars(req.tenant, start, end, selectors);
  for (const s of found) limiter.addSeries(s.seriesLabels);
  return new Envelope(encodeExemplars(found));
}

/**
 * /api/v1/labels, and /api/v1/label/<name>/values when `req.op` says so; the tenant's cap lowers
 * the `limit` parameter, and an answer cut short carries a warning.
 */
async function labels(req: ApiRequest, b: ApiBackend, limiter: QueryLimiter): Promise<Envelope> {
  const p = req.params;
  const sets = matcherSets(p);
  const values = req.op === ApiOp.LabelValues;
  const q = await b.queryable(req.tenant, limiter).querier(timeOr(p, 'start', minTime), timeOr(p, 'end', maxTime));
  try {
    const requested = Number(one(p, 'limit') ?? 0) || 0;
    const lim = values
      ? labelLimit(requested, limiter.limits.maxLabelValuesLimit, 'max_label_values_limit')
      : labelLimit(requested, limiter.limits.maxLabelNamesLimit, 'max_label_names_limit');
    const hints = { limit: storageLimit(lim) };
    const out = new Set<string>();
    for (const ms of sets.length === 0 ? [[]] : sets) {
      const got = values ? await q.labelValues(req.labelName, hints, ...ms) : await q.labelNames(hints, ...ms);
      for (const v of got) out.add(v);
    }
    const cut = cutToLimit([...out].sort(), lim);
    return new Envelope(goJson(cut.values), cut.warnings);
  } finally {
    await q.close();
  }
}

async function metadata(req: ApiRequest, b: ApiBackend): Promise<Record<string, MetricMetadata[]>> {
  const p = req.params;
  const everything = b.metadata === undefined ? {} : await b.metadata(req.tenant);
  const metric = one(p, 'metric');
  // As Prometheus: absent or negative is no limit, 0 returns nothing.
  const limit = intParam(p, 'limit') ?? -1;
  const perMetric = intParam(p, 'limit_per_metric') ?? -1;
  const out: Record<string, MetricMetadata[]> = {};
  for (const name of Object.keys(everything).sort()) {
    if (metric !== undefined && metric !== '' && name !== metric) continue;
    if (limit >= 0 && Object.keys(out).length >= limit) break;
    out[name] = perMetric >= 0 ? everything[name].slice(0, perMetric) : everything[name];
  }
  return out;
}

function matcherSets(p: Params): Matcher[][] {
  return all(p, 'match[]').map((m) => {
    try {
      return parseSeriesSelector(m);
    } catch (err) {
      throw badParam('match[]', (err as Error).message);
    }
  });
}

/** An optional integer parameter; anything else is bad_data naming it. */
function intParam(p: Params, name: string): number | undefined {
  const v = one(p, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new QueryError(ErrorType.BadData, `invalid parameter "${name}": ${JSON.stringify(v)} is not an integer`);
  return n;
}

function required(p: Params, name: string): string {
  const v = one(p, name);
  if (v === undefined || v === '') throw badParam(name, `cannot parse "" to a valid ${name === 'step' ? 'duration' : 'timestamp'}`);
  return v;
}

/** The `lookback_delta` and `timeout` parameters, as Prometheus reads them; the request's deadline caps the timeout. */
function queryOptions(req: ApiRequest, signal: AbortSignal | undefined, limiter: QueryLimiter): QueryOptions {
  const duration = (name: string): number | undefined => {
    const v = one(req.params, name);
    return v === undefined || v === '' ? undefined : parseDuration(v, name);
  };
  const left = req.deadline === undefined ? Infinity : Math.max(0, req.deadline - Date.now());
  const perStepStats = one(req.params, 'stats') === 'all';
  return { signal, lookbackDelta: duration('lookback_delta'), timeout: Math.min(duration('timeout') ?? Infinity, left), limiter, perStepStats };
}

/**
 * A query's answer; annotations carry their position in the query, as Prometheus prints them.
 * `start` and `step` (0 for an instant query) place the per-step stats.
 */
function envelope(res: QueryResult, query: string, p: Params, start: number, step: number): Envelope {
  const at = (text: string): string => {
    const pos = res.positions.get(text);
    return pos === undefined ? text : `${text} (${lineCol(query, pos)})`;
  };
  let data = encodeData(res.value);
  // With `stats=<anything>`, Prometheus adds query statistics to `data`.
  const stats = one(p, 'stats');
  if (stats !== undefined && stats !== '') data = `${data.slice(0, -1)},"stats":${goJson(queryStatsJson(res.stats, start, step))}}`;
  return new Envelope(data, res.warnings.map(at), res.infos.map(at));
}
