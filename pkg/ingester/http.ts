import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/index.js';
import { userStatsPage, wantsJson } from '../server/index.js';
import type { TenantStats } from './ingester.js';

/** One tenant's stats on one ingester. */
export interface UserIdStats {
  userId: string;
  data: TenantStats;
}

/** What the operator endpoints act on: one ingester, or every shard of this process. */
export interface IngesterAdmin {
  flush(reason: string, tenants?: readonly string[]): Promise<void>;
  shutdownAndFlush(): Promise<void>;
  allUserStats(): UserIdStats[] | Promise<UserIdStats[]>;
}

/**
 * The ingester's operator endpoints (Cortex's paths; flush and shutdown answer GET and POST, as
 * Cortex's do):
 * - `/ingester/flush[?tenant=a&tenant=b][&wait=true]`: cut every (or the named) tenant's head
 *   into blocks and ship them; 204 at once, or when done with `wait=true`.
 * - `/ingester/shutdown`: flush, leave and unregister from the ring, then ask the process to
 *   exit (`onShutdown`); 204 once flushed and unregistered.
 * - `GET /ingester/all_user_stats`: series and ingestion rates of every tenant on this process's
 *   ingester (one row per shard and tenant with shards), HTML or JSON.
 */
export async function registerIngesterRoutes(app: FastifyInstance, ing: IngesterAdmin, log: Logger, onShutdown: () => void): Promise<void> {
  app.route<{ Querystring: { tenant?: string | string[]; wait?: string } }>({
    method: ['GET', 'POST'],
    url: '/ingester/flush',
    handler: async (req, reply) => {
      const t = req.query.tenant;
      const tenants = t === undefined ? undefined : Array.isArray(t) ? t : [t];
      log.info({ tenants: tenants ?? 'all', wait: req.query.wait === 'true' }, 'flush requested');
      const flushing = ing.flush('api', tenants);
      if (req.query.wait === 'true') await flushing;
      else flushing.catch((err: unknown) => log.error({ err }, 'requested flush failed'));
      return reply.code(204).send();
    },
  });

  app.route({
    method: ['GET', 'POST'],
    url: '/ingester/shutdown',
    handler: async (_req, reply) => {
      log.info('shutdown requested');
      await ing.shutdownAndFlush();
      onShutdown();
      return reply.code(204).send();
    },
  });

  app.get('/ingester/all_user_stats', async (req, reply) => {
    const stats = (await ing.allUserStats()).map(({ userId, data }) => ({ userId, ...data }));
    if (wantsJson(req)) return reply.send(stats);
    return reply.type('text/html; charset=utf-8').send(userStatsPage(stats, new Date(), 'Tenants of this ingester, as it counts them (not divided by the replication factor).'));
  });
}
