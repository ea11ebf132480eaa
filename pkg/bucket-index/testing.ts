// Test helpers: write a block locally and upload it to a bucket the way a shipper does (every file,
// meta.json last). Not used by production code.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tenantBucket, uploadDir, type Bucket } from '../bucket/index.js';
import { META_FILENAME, TENANT_EXTERNAL_LABEL, listChunkSeriesSet, writeBlock, type BlockMeta, type UlidGenerator } from '../tsdb/block/index.js';
import { toChunkSeries, withTempDir, type PlainSeries } from '../tsdb/block/block-test-util.js';

/** Uploads the block directory `dir` under `<tenant>/<ulid>/`, meta.json last. */
export async function uploadBlockDir(bucket: Bucket, tenant: string, dir: string, ulid: string): Promise<void> {
  await uploadDir(tenantBucket(bucket, tenant), dir, ulid, [META_FILENAME]);
}

/** Writes `series` as one block for `tenant` and uploads it; returns its meta. */
export async function uploadTestBlock(bucket: Bucket, tenant: string, series: readonly PlainSeries[], ulids?: UlidGenerator): Promise<BlockMeta> {
  return withTempDir(async (tmp) => {
    const meta = await writeBlock(tmp, listChunkSeriesSet(toChunkSeries(series)), {
      ...(ulids !== undefined ? { ulids } : {}),
      thanos: { labels: { [TENANT_EXTERNAL_LABEL]: tenant }, downsample: { resolution: 0 }, source: 'test' },
    });
    if (meta === undefined) throw new Error('BUG: test block without chunks');
    await uploadBlockDir(bucket, tenant, join(tmp, meta.ulid), meta.ulid);
    await rm(join(tmp, meta.ulid), { recursive: true });
    return meta;
  });
}
