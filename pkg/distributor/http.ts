// The distributor's HTTP routes: remote write under /api/v1/push and /prometheus/api/v1/push,
// and its status pages. Routes live in their own fastify scope, so the content-type parser that
// hands the raw body to the push handler applies to them only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Distributor } from './distributor.js';
import { haTrackerPage } from './ha-tracker-page.js';
import { userStatsPage, wantsJson } from '../server/index.js';
import { allUserStats, userStats } from './user-stats.js';

const expectedType = 'application/x-protobuf';

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
    scope.setErrorHandler(async (err: { code?: string }, _req, reply) => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      // Fastify closes the connection after a refused body, while the client is still sending it:
      // the reset can reach the client before the 413 and Prometheus would then retry the batch
      // forever. Keep the connection; Node reads the rest of the body into nothing.
      reply.removeHeader('connection');
      return reply.code(413).type('text/plain; charset=utf-8').send(`request body larger than ${limit} bytes (-distributor.max-recv-msg-size)`);
    });
    const push = async (req: FastifyRequest, reply: FastifyReply) => {
      const tenant = tenantOf(req);
      const problem = unsupported(req);
      if (problem !== undefined) return reply.code(415).type('text/plain; charset=utf-8').send(problem);
      const answer = await d.push(tenant, req.body as Buffer);
      if (answer.status >= 400 && answer.status < 500) req.log.debug({ tenant, status: answer.status, msg: answer.message }, 'push rejected');
      return reply.code(answer.status).type('text/plain; charset=utf-8').send(answer.message);
    };
    const urls = ['/api/v1/push', '/prometheus/api/v1/push', ...(legacyPrefix === '' ? [] : [`${legacyPrefix}/push`])];
    for (const url of urls) scope.post(url, { bodyLimit: limit }, push);
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

/** Why a push body cannot be remote write 1.0, or undefined. */
function unsupported(req: FastifyRequest): string | undefined {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'snappy') return `unsupported Content-Encoding ${JSON.stringify(encoding)}: expected snappy`;
  const type = req.headers['content-type'] ?? '';
  const [base, ...params] = type.split(';').map((s) => s.trim());
  if (base !== expectedType) return `unsupported Content-Type ${JSON.stringify(type)}: expected ${expectedType} (remote write 1.0)`;
  const proto = params.find((p) => p.startsWith('proto='));
  if (proto !== undefined && proto !== 'proto=prometheus.WriteRequest') {
    return `unsupported protobuf message ${JSON.stringify(proto.slice(6))}: expected prometheus.WriteRequest (remote write 1.0)`;
  }
  if (!Buffer.isBuffer(req.body)) return 'empty body: expected a snappy-compressed prometheus.WriteRequest';
  return undefined;
}
