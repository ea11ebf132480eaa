// The series deletion API: Prometheus' `POST <prefix>/api/v1/admin/tsdb/delete_series` per tenant,
// and Cortex's blocks purger shape around it (`GET` the same path lists the tenant's requests,
// `PUT|POST <prefix>/api/v1/admin/tsdb/cancel_delete_request?request_id=` cancels one within the
// cancel period). Requests live in the bucket (delete-requests.ts); queriers hide what a pending or
// processed request covers from every answer (docs/operations.md, "Deleting series").
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { formatDuration } from '../flagext/index.js';
import type { Logger } from '../log/index.js';
import { parseSeriesSelector } from '../promql/parser/index.js';
import { DeleteRequestState, deleteRequestId, listDeleteRequests, writeDeleteRequest, type DeleteRequest } from './delete-requests.js';

export interface DeleteSeriesApiOptions {
  bucket: Bucket;
  /** The request's single tenant; throws pkg/tenant's TenantError (401 or 400) otherwise. */
  tenantOf: (req: FastifyRequest) => string;
  /** Whether the tenant may delete series (limit series_deletion_enabled). */
  enabled: (tenant: string) => boolean;
  /** -purger.delete-request-cancel-period (ms). */
  cancelPeriod: number;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

type Params = Record<string, string | string[] | undefined>;

const all = (p: Params, k: string): string[] => {
  const v = p[k];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** Unix seconds (with a fraction) or RFC 3339, as Prometheus reads times; ms. */
function parseTime(s: string): number | undefined {
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const ms = Date.parse(s);
  return /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(ms) ? ms : undefined;
}

class BadRequest extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export const deleteSeriesApi: FastifyPluginAsync<DeleteSeriesApiOptions> = async (app: FastifyInstance, o) => {
  const now = o.now ?? Date.now;
  const log = o.logger.child({ component: 'purger' });
  const received = new Counter({ name: 'myelin_purger_delete_requests_received_total', help: 'Series delete requests accepted, by tenant.', labelNames: ['user'], registers: [o.registry] });
  const rejected = new Counter({
    name: 'myelin_purger_delete_requests_rejected_total',
    help: 'Series deletion API calls refused, by reason (disabled, bad_selector, bad_time, duplicate, not_found, not_cancellable) and tenant.',
    labelNames: ['reason', 'user'],
    registers: [o.registry],
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Params = {};
    for (const [k, v] of new URLSearchParams(body as string)) out[k] = [...all(out, k), v];
    done(null, out);
  });
  const paramsOf = (req: FastifyRequest): Params => {
    const out: Params = { ...(req.query as Params) };
    const body = req.body !== null && typeof req.body === 'object' ? (req.body as Params) : {};
    for (const k of Object.keys(body)) out[k] = [...all(out, k), ...all(body, k)];
    return out;
  };

  /** Runs `fn` for the request's tenant; a BadRequest is a 400 with its text, counted. */
  const handle = (fn: (tenant: string, p: Params, reply: FastifyReply) => Promise<FastifyReply>) => async (req: FastifyRequest, reply: FastifyReply) => {
    const tenant = o.tenantOf(req);
    try {
      if (!o.enabled(tenant)) throw new BadRequest('disabled', `series deletion is disabled for the tenant: ${tenant} (-purger.series-deletion-enabled)`);
      return await fn(tenant, paramsOf(req), reply);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      rejected.inc({ reason: err.reason, user: tenant });
      return reply.code(400).type('text/plain; charset=utf-8').send(err.message);
    }
  };

  const add = handle(async (tenant, p, reply) => {
    const selectors = all(p, 'match[]');
    if (selectors.length === 0) throw new BadRequest('bad_selector', 'selectors not set: give at least one match[]');
    for (const s of selectors) {
      try {
        parseSeriesSelector(s);
      } catch (err) {
        throw new BadRequest('bad_selector', `invalid match[] ${JSON.stringify(s)}: ${(err as Error).message}`);
      }
    }
    const time = (name: string, dflt: number): number => {
      const v = all(p, name)[0];
      if (v === undefined || v === '') return dflt;
      const t = parseTime(v);
      if (t === undefined) throw new BadRequest('bad_time', `invalid ${name} ${JSON.stringify(v)}: not Unix seconds or RFC 3339`);
      return t;
    };
    const at = now();
    const startTime = time('start', 0);
    const endTime = time('end', at);
    if (endTime > at) throw new BadRequest('bad_time', 'deletes in future not allowed');
    if (startTime > endTime) throw new BadRequest('bad_time', 'start time cannot be after end time');
    const tb = tenantBucket(o.bucket, tenant);
    const requestId = deleteRequestId(startTime, endTime, selectors);
    const prev = (await listDeleteRequests(tb)).find((r) => r.requestId === requestId);
    if (prev !== undefined && prev.state !== DeleteRequestState.Cancelled) {
      throw new BadRequest('duplicate', 'delete request tombstone with same information already exists');
    }
    await writeDeleteRequest(tb, { requestId, tenant, startTime, endTime, selectors, requestCreatedAt: at, stateCreatedAt: at, state: DeleteRequestState.Pending });
    received.inc({ user: tenant });
    log.info({ tenant, request: requestId, selectors, start: startTime, end: endTime }, 'series delete request added');
    return reply.code(204).send();
  });

  const list = handle(async (tenant, _p, reply) => {
    const requests = await listDeleteRequests(tenantBucket(o.bucket, tenant));
    return reply.type('application/json').send(JSON.stringify(requests.map((r) => ({
      request_id: r.requestId, start_time: r.startTime, end_time: r.endTime, selectors: r.selectors, user_id: r.tenant,
      request_created_at: r.requestCreatedAt, state_created_at: r.stateCreatedAt, state: r.state,
    }))));
  });

  const cancel = handle(async (tenant, p, reply) => {
    const id = all(p, 'request_id')[0] ?? '';
    const tb = tenantBucket(o.bucket, tenant);
    const r: DeleteRequest | undefined = (await listDeleteRequests(tb)).find((x) => x.requestId === id);
    if (r === undefined) throw new BadRequest('not_found', `could not find delete request with given id ${JSON.stringify(id)}`);
    if (r.state === DeleteRequestState.Cancelled) throw new BadRequest('not_cancellable', 'the request has already been previously deleted');
    if (r.state === DeleteRequestState.Processed) throw new BadRequest('not_cancellable', 'deletion of request which is already processed is not allowed');
    const at = now();
    if (at - r.requestCreatedAt > o.cancelPeriod) {
      throw new BadRequest('not_cancellable', `deletion of request past the deadline of ${formatDuration(o.cancelPeriod)} since its creation is not allowed`);
    }
    await writeDeleteRequest(tb, { ...r, state: DeleteRequestState.Cancelled, stateCreatedAt: at });
    log.info({ tenant, request: id }, 'series delete request cancelled');
    return reply.code(204).send();
  });

  app.post('/api/v1/admin/tsdb/delete_series', add);
  app.put('/api/v1/admin/tsdb/delete_series', add);
  app.get('/api/v1/admin/tsdb/delete_series', list);
  app.put('/api/v1/admin/tsdb/cancel_delete_request', cancel);
  app.post('/api/v1/admin/tsdb/cancel_delete_request', cancel);
};
