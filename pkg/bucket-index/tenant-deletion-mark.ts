// The tenant deletion mark (Cortex's `<tenant>/markers/tenant-deletion-mark.json`), written by
// POST /purger/delete_tenant: while it exists, the compactor compacts nothing of the tenant and its
// cleaner deletes every block and the bucket index, the index updater writes no index, and
// ingesters drop the tenant's head and WAL. The cleaner adds `finished_time` once the blocks are gone.
import type { Bucket } from '../bucket/index.js';
import { MARKERS_DIR } from './updater.js';

export const TENANT_DELETION_MARK = `${MARKERS_DIR}/tenant-deletion-mark.json`;

export interface TenantDeletionMark {
  /** Unix seconds. */
  deletionTime: number;
  /** Unix seconds, once every block is deleted. */
  finishedTime?: number;
}

/** Writes the mark in the tenant's bucket `tb` (Cortex's JSON: `deletion_time`, `finished_time`). */
export async function writeTenantDeletionMark(tb: Bucket, mark: TenantDeletionMark): Promise<void> {
  const json: Record<string, number> = { deletion_time: mark.deletionTime };
  if (mark.finishedTime !== undefined) json.finished_time = mark.finishedTime;
  await tb.upload(TENANT_DELETION_MARK, Buffer.from(JSON.stringify(json)));
}

/**
 * The tenant's mark, or undefined when there is none. A mark that cannot be parsed still marks the
 * tenant (the request was made), with deletion time 0.
 */
export async function readTenantDeletionMark(tb: Bucket): Promise<TenantDeletionMark | undefined> {
  let raw: Buffer;
  try {
    raw = await tb.get(TENANT_DELETION_MARK);
  } catch (err) {
    if (tb.isObjNotFoundErr(err)) return undefined;
    throw new Error(`read ${TENANT_DELETION_MARK}`, { cause: err });
  }
  try {
    const m = JSON.parse(raw.toString('utf8')) as { deletion_time?: unknown; finished_time?: unknown };
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const finishedTime = num(m.finished_time);
    return { deletionTime: num(m.deletion_time) ?? 0, ...(finishedTime === undefined ? {} : { finishedTime }) };
  } catch {
    return { deletionTime: 0 };
  }
}
