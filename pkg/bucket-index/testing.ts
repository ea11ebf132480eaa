// Test helpers: write a block locally and upload it to a bucket the way a shipper does (every file,
// meta.json last). Not used by production code.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { TENANT_EXTERNAL_LABEL, listChunkSeriesSet, writeBlock, type BlockMeta, type UlidGenerator } from '../tsdb/block/index.js';
import { toChunkSeries, withTempDir, type PlainSeries } from '../tsdb/block/block-test-util.js';

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else out.push(r);
  }
  return out;
}

/** Uploads the block directory `dir` under `<tenant>/<ulid>/`, meta.json last. */
export async function uploadBlockDir(bucket: Bucket, tenant: string, dir: string, ulid: string): Promise<void> {
  const tb = tenantBucket(bucket, tenant);
  const files = (await filesUnder(dir)).sort((a, b) => Number(a === 'meta.json') - Number(b === 'meta.json'));
  for (const f of files) await tb.upload(`${ulid}/${f}`, await readFile(join(dir, f)));
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
