/**
 * Prometheus' HTTP query API (/api/v1/...) as a fastify plugin. Register it under the prefix the
 * deployment uses (Cortex: `/prometheus`). GET and POST (form) are both accepted, as Grafana sends.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { QueryLimitError, QueryLimiter, noQueryLimits, queryLengthError, type QueryLimits, type QueryStats } from '../../limits/index.js';
import type { Matcher } from '../../model/labels/index.js';
import type { Queryable } from '../../storage/index.js';
import { TenantError } from '../../tenant/index.js';
import type { Engine, QueryOptions, QueryResult } from '../../promql/index.js';
import { ErrorType, QueryError } from '../../promql/index.js';
import { ParseError, lineCol, parseExpr, parseSeriesSelector, prettyPrint } from '../../promql/parser/index.js';
import { encodeData, goJson } from './encode.js';
import { cutToLimit, labelLimit, storageLimit, type LabelLimit } from './label-limits.js';
import type { Params } from './params.js';
import { all, badParam, maxTime, minTime, one, parseDuration, parseTime, timeOr } from './params.js';

export interface MetricMetadata {
  type: string;
  help: string;
  unit: string;
}

export interface PrometheusApiOptions {
  engine: Engine;
  /** The data a tenant may read, within `limiter`: the request's budget, shared by everything it reads. */
  queryable: (tenant: string, limiter: QueryLimiter) => Queryable;
  /** The tenant's per-query limits, plain data; none when not given. */
  limits?: (tenant: string) => QueryLimits;
  /** Called once per data request (query, series, labels) with what it fetched and its error, if any. */
  observe?: (tenant: string, stats: QueryStats, err: unknown) => void;
  /**
   * The tenant of a request, e.g. `(req) => resolver.tenants(req.headers['x-scope-orgid']).join('|')`
   * with pkg/tenant's TenantResolver; a TenantError it throws becomes 401 (missing) or 400.
   */
  tenantOf: (req: FastifyRequest) => string;
  /** Metric metadata per tenant; empty when not given. */
  metadata?: (tenant: string) => Promise<Record<string, MetricMetadata[]>>;
  /** Wall clock for the default query time. */
  now?: () => number;
  buildInfo?: { version: string; revision: string; branch: string };
}

const statusOf: Record<string, number> = {
  [ErrorType.BadData]: 400,
  [ErrorType.Execution]: 422,
  [ErrorType.Timeout]: 503,
  [ErrorType.Canceled]: 499,
  [ErrorType.Unavailable]: 503,
  [ErrorType.Internal]: 500,
};

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  let type: string = ErrorType.Internal;
  let message = err instanceof Error ? err.message : String(err);
  let status: number | undefined;
  if (err instanceof QueryError) type = err.type;
  // Per-query limits: 422 with the limit's own message, as Cortex.
  else if (err instanceof QueryLimitError) type = err.errorType === 'bad_data' ? ErrorType.BadData : ErrorType.Execution;
  else if (err instanceof TenantError) {
    // No or a malformed X-Scope-OrgID: 401 / 400, as Cortex answers.
    type = ErrorType.BadData;
    status = err.code === 'missing' ? 401 : 400;
  }
  else if (err instanceof ParseError) {
    type = ErrorType.BadData;
    message = `invalid parameter "query": ${message}`;
  }
  const code = status ?? statusOf[type] ?? 500;
  // Bad requests are the client's to read; failures of the query itself are the operator's.
  if (code >= 422 && code !== 499) reply.log.warn({ err, errorType: type }, 'query API request failed');
  return reply
    .code(code)
    .type('application/json')
    .send(`{"status":"error","errorType":${goJson(type)},"error":${goJson(message)}}`);
}

/** Prometheus' success envelope; `data` is already JSON. */
function success(reply: FastifyReply, data: string, warnings: string[] = [], infos: string[] = []): FastifyReply {
  let body = `{"status":"success","data":${data}`;
  if (warnings.length > 0) body += `,"warnings":${goJson(warnings)}`;
  if (infos.length > 0) body += `,"infos":${goJson(infos)}`;
  return reply.type('application/json').send(body + '}');
}

function paramsOf(req: FastifyRequest): Params {
  const q = (req.query ?? {}) as Params;
  const b = (req.body !== null && typeof req.body === 'object' ? req.body : {}) as Params;
  const out: Params = { ...q };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(v) ? v : v === undefined ? [] : [v])];
  }
  return out;
}

/** application/x-www-form-urlencoded bodies, repeated keys as arrays (`match[]`). */
function parseForm(body: string): Params {
  const out: Params = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
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

export const prometheusApi: FastifyPluginAsync<PrometheusApiOptions> = async (app: FastifyInstance, opts) => {
  const now = opts.now ?? Date.now;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });

  const route = (
    path: string,
    handler: (req: FastifyRequest, p: Params, tenant: string, reply: FastifyReply, limiter: QueryLimiter) => Promise<unknown>,
  ): void => {
    const h = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        const tenant = opts.tenantOf(req);
        const limiter = new QueryLimiter(opts.limits?.(tenant) ?? noQueryLimits);
        let result: unknown;
        try {
          result = await handler(req, paramsOf(req), tenant, reply, limiter);
          opts.observe?.(tenant, limiter.stats(), undefined);
        } catch (err) {
          opts.observe?.(tenant, limiter.stats(), err);
          throw err;
        }
        if (result instanceof Envelope) return success(reply, result.data, result.warnings, result.infos);
        return success(reply, goJson(result));
      } catch (err) {
        return sendError(reply, err);
      }
    };
    app.get(path, h);
    app.post(path, h);
  };

  route('/api/v1/query', async (_req, p, tenant, reply, limiter) => {
    const query = one(p, 'query') ?? '';
    const t = timeOr(p, 'time', now());
    const res = await opts.engine.instantQuery(opts.queryable(tenant, limiter), query, t, queryOptions(reply, p, limiter));
    return envelope(res, query, p);
  });

  route('/api/v1/query_range', async (_req, p, tenant, reply, limiter) => {
    const start = parseTime(required(p, 'start'), 'start');
    const end = parseTime(required(p, 'end'), 'end');
    if (end < start) throw badParam('end', 'end timestamp must not be before start time');
    // As Cortex's query-frontend: a range longer than max_query_length is the request's fault (400).
    const maxLength = limiter.limits.maxQueryLength;
    if (maxLength > 0 && end - start > maxLength) throw queryLengthError(end - start, maxLength, 'bad_data');
    const step = parseDuration(required(p, 'step'), 'step');
    const query = one(p, 'query') ?? '';
    const res = await opts.engine.rangeQuery(opts.queryable(tenant, limiter), query, start, end, step, queryOptions(reply, p, limiter));
    return envelope(res, query, p);
  });

  route('/api/v1/series', async (_req, p, tenant, _reply, limiter) => {
    const sets = matcherSets(p);
    if (sets.length === 0) throw new QueryError(ErrorType.BadData, 'no match[] parameter provided');
    const start = timeOr(p, 'start', minTime);
    const end = timeOr(p, 'end', maxTime);
    const q = await opts.queryable(tenant, limiter).querier(start, end);
    try {
      const seen = new Map<string, Record<string, string>>();
      for (const ms of sets) {
        const set = q.select({ start, end, step: 0, func: 'series', range: 0, sortSeries: true }, ...ms);
        while (await set.next()) {
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
  });

  route('/api/v1/labels', async (_req, p, tenant, _reply, limiter) => {
    const sets = matcherSets(p);
    const q = await opts.queryable(tenant, limiter).querier(timeOr(p, 'start', minTime), timeOr(p, 'end', maxTime));
    try {
      const lim = labelLimit(Number(one(p, 'limit') ?? 0) || 0, limiter.limits.maxLabelNamesLimit, 'max_label_names_limit');
      const hints = { limit: storageLimit(lim) };
      const names = new Set<string>();
      for (const ms of sets.length === 0 ? [[]] : sets) for (const n of await q.labelNames(hints, ...ms)) names.add(n);
      return labelsEnvelope([...names].sort(), lim);
    } finally {
      await q.close();
    }
  });

  route('/api/v1/label/:name/values', async (req, p, tenant, _reply, limiter) => {
    const name = (req.params as { name: string }).name;
    const sets = matcherSets(p);
    const q = await opts.queryable(tenant, limiter).querier(timeOr(p, 'start', minTime), timeOr(p, 'end', maxTime));
    try {
      const lim = labelLimit(Number(one(p, 'limit') ?? 0) || 0, limiter.limits.maxLabelValuesLimit, 'max_label_values_limit');
      const hints = { limit: storageLimit(lim) };
      const values = new Set<string>();
      for (const ms of sets.length === 0 ? [[]] : sets) for (const v of await q.labelValues(name, hints, ...ms)) values.add(v);
      return labelsEnvelope([...values].sort(), lim);
    } finally {
      await q.close();
    }
  });

  route('/api/v1/metadata', async (_req, p, tenant) => {
    const all = opts.metadata === undefined ? {} : await opts.metadata(tenant);
    const metric = one(p, 'metric');
    // As Prometheus: absent or negative is no limit, 0 returns nothing.
    const limit = intParam(p, 'limit') ?? -1;
    const perMetric = intParam(p, 'limit_per_metric') ?? -1;
    const out: Record<string, MetricMetadata[]> = {};
    for (const name of Object.keys(all).sort()) {
      if (metric !== undefined && metric !== '' && name !== metric) continue;
      if (limit >= 0 && Object.keys(out).length >= limit) break;
      out[name] = perMetric >= 0 ? all[name].slice(0, perMetric) : all[name];
    }
    return out;
  });

  route('/api/v1/query_exemplars', () => Promise.resolve([]));

  route('/api/v1/status/buildinfo', () =>
    Promise.resolve({
      version: opts.buildInfo?.version ?? '0.1.0',
      revision: opts.buildInfo?.revision ?? '',
      branch: opts.buildInfo?.branch ?? '',
      buildUser: '',
      buildDate: '',
      goVersion: '',
    }),
  );

  route('/api/v1/format_query', (_req, p) => Promise.resolve(prettyPrint(parseExpr(one(p, 'query') ?? ''))));
};

/** An optional integer parameter; anything else is bad_data naming it. */
function intParam(p: Params, name: string): number | undefined {
  const v = one(p, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new QueryError(ErrorType.BadData, `invalid parameter "${name}": ${JSON.stringify(v)} is not an integer`);
  return n;
}

class Envelope {
  /** The `data` member, already JSON. */
  readonly data: string;
  readonly warnings: string[];
  readonly infos: string[];
  constructor(data: string, warnings: string[], infos: string[]) {
    this.data = data;
    this.warnings = warnings;
    this.infos = infos;
  }
}

function required(p: Params, name: string): string {
  const v = one(p, name);
  if (v === undefined || v === '') throw badParam(name, `cannot parse "" to a valid ${name === 'step' ? 'duration' : 'timestamp'}`);
  return v;
}

function labelsEnvelope(sorted: string[], lim: LabelLimit): Envelope {
  const { values, warnings } = cutToLimit(sorted, lim);
  return new Envelope(goJson(values), warnings, []);
}

/** Cancels when the client goes away; `lookback_delta` and `timeout` parameters as Prometheus. */
function queryOptions(reply: FastifyReply, p: Params, limiter: QueryLimiter): QueryOptions {
  const ac = new AbortController();
  // The response closing before it was written means the client went away.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  const duration = (name: string): number | undefined => {
    const v = one(p, name);
    return v === undefined || v === '' ? undefined : parseDuration(v, name);
  };
  return { signal: ac.signal, lookbackDelta: duration('lookback_delta'), timeout: duration('timeout'), limiter };
}

/** A query's answer; annotations carry their position in the query, as Prometheus prints them. */
function envelope(res: QueryResult, query: string, p: Params): Envelope {
  const at = (text: string): string => {
    const pos = res.positions.get(text);
    return pos === undefined ? text : `${text} (${lineCol(query, pos)})`;
  };
  const data = withStats(encodeData(res.value), p, res.stats.samplesRead);
  return new Envelope(data, res.warnings.map(at), res.infos.map(at));
}

/** With `stats=<anything>`, Prometheus appends query statistics to `data`. */
function withStats(data: string, p: Params, samples: number): string {
  const stats = one(p, 'stats');
  if (stats === undefined || stats === '') return data;
  return `${data.slice(0, -1)},"stats":{"samples":{"totalQueryableSamples":${samples}}}}`;
}
