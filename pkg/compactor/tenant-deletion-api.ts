// Cortex's tenant deletion API (its purger's DeleteTenant and DeleteTenantStatus), served by the
// process that runs the compactor: the request only writes the tenant deletion mark; the blocks
// cleaner deletes the blocks and the bucket index, and ingesters drop the head and WAL, each on its
// next pass (docs/operations.md, "Deleting a tenant").
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { readTenantDeletionMark, writeTenantDeletionMark } from '../bucket-index/index.js';
import type { Logger } from '../log/index.js';
import { isUlid } from '../tsdb/block/index.js';

export interface TenantDeletionApiDeps {
  bucket: Bucket;
  /** The request's single tenant; throws pkg/tenant's TenantError (401 or 400) otherwise. */
  tenantOf: (req: FastifyRequest) => string;
  logger: Logger;
  now?: () => number;
}

/** Whether any block directory (complete, partial or marked) of the tenant is left. */
async function hasBlocks(tb: Bucket): Promise<boolean> {
  let found = false;
  await tb.iter('', (name) => {
    if (name.endsWith('/') && isUlid(name.slice(0, -1))) found = true;
  });
  return found;
}

export function registerTenantDeletionApi(app: FastifyInstance, deps: TenantDeletionApiDeps): void {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'purger' });
  const deleteTenant = async (req: FastifyRequest) => {
    const tenant = deps.tenantOf(req);
    const tb = tenantBucket(deps.bucket, tenant);
    // Asking again keeps the first request's time (and a finished deletion stays finished).
    if ((await readTenantDeletionMark(tb)) === undefined) {
      await writeTenantDeletionMark(tb, { deletionTime: Math.floor(now() / 1000) });
      log.info({ tenant }, 'tenant deletion mark written');
    }
    return '';
  };
  app.post('/purger/delete_tenant', deleteTenant);
  app.get('/purger/delete_tenant_status', async (req, reply) => {
    const tenant = deps.tenantOf(req);
    const tb = tenantBucket(deps.bucket, tenant);
    const mark = await readTenantDeletionMark(tb);
    // Cortex's answer, plus whether the deletion was asked for and when it finished.
    return reply.send({
      tenant_id: tenant,
      blocks_deleted: !(await hasBlocks(tb)),
      deletion_requested: mark !== undefined,
      ...(mark?.finishedTime === undefined ? {} : { finished_time: mark.finishedTime }),
    });
  });
}
