// The distributor's HTTP routes: remote write (1.0 and 2.0, negotiated by Content-Type) under
// /api/v1/push and /prometheus/api/v1/push, OTLP metrics under /otlp/v1/metrics, and its status pages. Routes live in their own fastify scope, so the content-type parser that
// hands the raw body to the push handler applies to them only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Distributor, WriteProtocol } from './distributor.js';
import { haTrackerPage } from './ha-tracker-page.js';
import { otlpHandler, otlpRefusal } from './otlp-http.js';
import { userStatsPage, wantsJson } from '../server/index.js';
import { allUserStats, userStats } from './user-stats.js';

const expectedType = 'application/x-protobuf';
const protoV1 = 'prometheus.WriteRequest';
const protoV2 = 'io.prometheus.write.v2.Request';

/** OTLP metrics: Mimir's path and Cortex's. */
const otlpPaths = ['/otlp/v1/metrics', '/api/v1/otlp/v1/metrics'];

/** Counts a body refused for its size, as a too_large request of its tenant when it names one. */
function countTooLarge(d: Distributor, tenantOf: TenantOf, req: FastifyRequest): void {
  let tenant: string;
  try {
    tenant = tenantOf(req);
  } catch {
    return; // answered 413 all the same: the size is checked first
  }
  d.metrics.discardedRequests.inc({ reason: 'too_large', user: tenant });
}

/** Resolves the tenant of a request, throwing the server's TenantError (401/400). */
export type TenantOf = (req: FastifyRequest) => string;

/**
 * `legacyPrefix` is Cortex's -http.prefix (`/api/prom`): push and user_stats are served under it
 * too; empty for none.
 */
export function registerDistributorRoutes(app: FastifyInstance, d: Distributor, tenantOf: TenantOf, legacyPrefix: string): void {
  const limit = d.cfg.maxRecvMsgSize;
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_req, body, done) => done(null, body));
    scope.setErrorHandler(async (err: { code?: string }, req, reply) => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      countTooLarge(d, tenantOf, req);
      // Fastify closes the connection after a refused body, while the client is still sending it:
      // the reset can reach the client before the 413 and Prometheus would then retry the batch
      // forever. Keep the connection; Node reads the rest of the body into nothing.
      reply.removeHeader('connection');
      const message = `request body larger than ${limit} bytes (-distributor.max-recv-msg-size)`;
      if (otlpPaths.includes(req.routeOptions.url ?? '')) return otlpRefusal(req, reply, 413, message);
      return reply.code(413).type('text/plain; charset=utf-8').send(message);
    });
    const push = async (req: FastifyRequest, reply: FastifyReply) => {
      const tenant = tenantOf(req);
      const protocol = negotiate(req);
      if (typeof protocol !== 'string') return reply.code(415).type('text/plain; charset=utf-8').send(protocol.problem);
      const answer = await d.push(tenant, req.body as Buffer, protocol);
      if (answer.status >= 400 && answer.status < 500) req.log.debug({ tenant, status: answer.status, msg: answer.message }, 'push rejected');
      // Remote write 2.0 requires these on every answer once the message type is known.
      const w = answer.written;
      void reply.headers({
        'x-prometheus-remote-write-samples-written': w?.samples ?? 0,
        'x-prometheus-remote-write-histograms-written': w?.histograms ?? 0,
        'x-prometheus-remote-write-exemplars-written': w?.exemplars ?? 0,
      });
      // 2.0 asks for 204 No Content on success; 1.0 senders have always had 200.
      if (protocol === 'v2' && answer.status === 200) return reply.code(204).send();
      return reply.code(answer.status).type('text/plain; charset=utf-8').send(answer.message);
    };
    const urls = ['/api/v1/push', '/prometheus/api/v1/push', ...(legacyPrefix === '' ? [] : [`${legacyPrefix}/push`])];
    for (const url of urls) scope.post(url, { bodyLimit: limit }, push);
    for (const url of otlpPaths) scope.post(url, { bodyLimit: limit }, otlpHandler(d, tenantOf));
  });

  app.get('/distributor/ha_tracker', async (_req, reply) => reply.type('text/html; charset=utf-8').send(haTrackerPage(d.haTracker, Date.now())));

  const tenantStats = async (req: FastifyRequest) => userStats(d.ingesterRing, d.pool, tenantOf(req), d.cfg.remoteTimeout);
  app.get('/api/v1/user_stats', tenantStats);
  if (legacyPrefix !== '') app.get(`${legacyPrefix}/user_stats`, tenantStats);

  app.get('/distributor/all_user_stats', async (req, reply) => {
    const stats = await allUserStats(d.ingesterRing, d.pool, d.cfg.remoteTimeout);
    if (wantsJson(req)) return reply.send(stats);
    return reply.type('text/html; charset=utf-8').send(userStatsPage(stats, new Date(), 'Series and rates are divided by the replication factor.'));
  });
}

/**
 * The remote write message of a push from its Content-Type (1.0 when there is no proto parameter,
 * as the 2.0 specification says), or why it cannot be read.
 */
function negotiate(req: FastifyRequest): WriteProtocol | { problem: string } {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'snappy') return { problem: `unsupported Content-Encoding ${JSON.stringify(encoding)}: expected snappy` };
  const type = req.headers['content-type'] ?? '';
  const [base, ...params] = type.split(';').map((s) => s.trim());
  if (base.toLowerCase() !== expectedType) return { problem: `unsupported Content-Type ${JSON.stringify(type)}: expected ${expectedType} (remote write 1.0 or 2.0)` };
  const param = params.find((p) => p.toLowerCase().startsWith('proto='));
  const proto = param?.slice(6).replace(/^"(.*)"$/, '$1');
  let protocol: WriteProtocol;
  if (proto === undefined || proto === protoV1) protocol = 'v1';
  else if (proto === protoV2) protocol = 'v2';
  else return { problem: `unsupported protobuf message ${JSON.stringify(proto)}: expected ${protoV1} (remote write 1.0) or ${protoV2} (remote write 2.0)` };
  if (!Buffer.isBuffer(req.body)) return { problem: `empty body: expected a snappy-compressed ${protocol === 'v2' ? protoV2 : protoV1}` };
  return protocol;
}
