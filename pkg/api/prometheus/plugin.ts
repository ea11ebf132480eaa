/**
 * Prometheus' HTTP query API (/api/v1/...) as a fastify plugin. Register it under the prefix the
 * deployment uses (Cortex: `/prometheus`). GET and POST (form) are both accepted, as Grafana sends.
 * The plugin does only the HTTP part: the tenant, the parameters, and the answer; the work itself
 * is `execute`'s (a query worker in Myelin, see docs/architecture.md), or runs in this thread over
 * `backend`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TenantError } from '../../tenant/index.js';
import { ErrorType } from '../../promql/index.js';
import { ApiOp, errorOf, executeApi } from './execute.js';
import type { ApiAnswer, ApiBackend, ApiRequest } from './execute.js';
import { goJson } from './encode.js';
import { streamedContentType } from './remote-read.js';
import { StreamedReply } from './streamed-reply.js';
import type { Params } from './params.js';

/**
 * Runs an API request; `signal` aborts when the client goes away. Never rejects. An executor may
 * write a streamed remote read's body to `sink` as it is made instead of answering it whole.
 */
export type ApiExecutor = (req: ApiRequest, signal: AbortSignal, sink?: (bytes: Uint8Array) => void) => Promise<ApiAnswer>;

export interface PrometheusApiOptions {
  /** Where requests run; when absent, in this thread over `backend`. */
  execute?: ApiExecutor;
  backend?: ApiBackend;
  /**
   * The tenant of a request, e.g. `(req) => resolver.tenants(req.headers['x-scope-orgid']).join('|')`
   * with pkg/tenant's TenantResolver; a TenantError it throws becomes 401 (missing) or 400.
   */
  tenantOf: (req: FastifyRequest) => string;
  /** Wall clock for the default query time. */
  now?: () => number;
  buildInfo?: { version: string; revision: string; branch: string };
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

function send(reply: FastifyReply, a: ApiAnswer): FastifyReply {
  // Bad requests are the client's to read; failures of the query itself are the operator's.
  if (a.status >= 422 && a.status !== 499) reply.log.warn({ status: a.status, errorType: a.errorType, error: a.error }, 'query API request failed');
  if (a.headers !== undefined) return reply.code(a.status).headers(a.headers).send(a.body);
  return reply.code(a.status).type('application/json').send(a.body);
}

/** A signal that aborts when the response closes before it was written: the client went away. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

function inThread(backend: ApiBackend | undefined): ApiExecutor {
  if (backend === undefined) throw new Error('BUG: prometheusApi needs execute or backend');
  return (req, signal, sink) => executeApi(req, backend, signal, sink);
}

export const prometheusApi: FastifyPluginAsync<PrometheusApiOptions> = async (app: FastifyInstance, opts) => {
  const now = opts.now ?? Date.now;
  const execute = opts.execute ?? inThread(opts.backend);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });

  /** The request's tenant, or the answer to a missing (401) or malformed (400) X-Scope-OrgID, as Cortex's. */
  const tenantOf = (req: FastifyRequest): string | ApiAnswer => {
    try {
      return opts.tenantOf(req);
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      return { ...errorOf(ErrorType.BadData, err.message), status: err.code === 'missing' ? 401 : 400 };
    }
  };

  const route = (path: string, op: ApiOp): void => {
    const h = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const tenant = tenantOf(req);
      if (typeof tenant !== 'string') return send(reply, tenant);
      const labelName = (req.params as { name?: string }).name ?? '';
      const noStore = /\bno-store\b/i.test(String(req.headers['cache-control'] ?? ''));
      return send(reply, await execute({ op, tenant, params: paramsOf(req), labelName, now: now(), noStore }, clientGone(reply)));
    };
    app.get(path, h);
    app.post(path, h);
  };

  route('/api/v1/query', ApiOp.Query);
  route('/api/v1/query_range', ApiOp.QueryRange);
  route('/api/v1/series', ApiOp.Series);
  route('/api/v1/labels', ApiOp.Labels);
  route('/api/v1/label/:name/values', ApiOp.LabelValues);
  route('/api/v1/metadata', ApiOp.Metadata);
  route('/api/v1/format_query', ApiOp.FormatQuery);
  route('/api/v1/query_exemplars', ApiOp.QueryExemplars);
  route('/api/v1/status/tsdb', ApiOp.TsdbStatus);
  route('/api/v1/cardinality/label_names', ApiOp.CardinalityLabelNames);
  route('/api/v1/cardinality/label_values', ApiOp.CardinalityLabelValues);
  route('/api/v1/cardinality/active_series', ApiOp.ActiveSeries);

  // Remote read: a snappy-compressed protobuf body, POST only; the answer is protobuf too.
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/api/v1/read', async (req, reply) => {
    const tenant = tenantOf(req);
    if (typeof tenant !== 'string') return send(reply, tenant);
    const body = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : undefined;
    const stream = new StreamedReply(reply, streamedContentType);
    const answer = await execute({ op: ApiOp.RemoteRead, tenant, params: {}, labelName: '', now: now(), body }, clientGone(reply), stream.write);
    return stream.started ? stream.finish(answer) : send(reply, answer);
  });

  const fixed = (path: string, data: unknown): void => {
    const body = `{"status":"success","data":${goJson(data)}}`;
    app.get(path, async (_req, reply) => reply.type('application/json').send(body));
    app.post(path, async (_req, reply) => reply.type('application/json').send(body));
  };
  fixed('/api/v1/status/buildinfo', {
    version: opts.buildInfo?.version ?? '0.1.0',
    revision: opts.buildInfo?.revision ?? '',
    branch: opts.buildInfo?.branch ?? '',
    buildUser: '',
    buildDate: '',
    goVersion: '',
  });
};
