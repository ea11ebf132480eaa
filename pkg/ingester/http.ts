import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/index.js';

/** What the operator endpoints act on: one ingester, or every shard of this process. */
export interface IngesterAdmin {
  flush(reason: string, tenants?: readonly string[]): Promise<void>;
  shutdownAndFlush(): Promise<void>;
}

/**
 * The ingester's operator endpoints (Cortex's paths):
 * - `POST /ingester/flush[?tenant=a&tenant=b][&wait=true]`: cut every (or the named) tenant's head
 *   into blocks and ship them; 204 at once, or when done with `wait=true`.
 * - `POST /ingester/shutdown`: flush, leave and unregister from the ring, then ask the process to
 *   exit (`onShutdown`); 204 once flushed and unregistered.
 */
export async function registerIngesterRoutes(app: FastifyInstance, ing: IngesterAdmin, log: Logger, onShutdown: () => void): Promise<void> {
  app.post<{ Querystring: { tenant?: string | string[]; wait?: string } }>('/ingester/flush', async (req, reply) => {
    const t = req.query.tenant;
    const tenants = t === undefined ? undefined : Array.isArray(t) ? t : [t];
    log.info({ tenants: tenants ?? 'all', wait: req.query.wait === 'true' }, 'flush requested');
    const flushing = ing.flush('api', tenants);
    if (req.query.wait === 'true') await flushing;
    else flushing.catch((err: unknown) => log.error({ err }, 'requested flush failed'));
    return reply.code(204).send();
  });

  app.post('/ingester/shutdown', async (_req, reply) => {
    log.info('shutdown requested');
    await ing.shutdownAndFlush();
    onShutdown();
    return reply.code(204).send();
  });
}
