// Compaction of the RF=3 replicas ingesters ship of one 2h range: three blocks of BENCH_SERIES
// series sampled every 15s, written and uploaded as ingesters do (each with its own
// __ingester_id__), then one compactor run over a filesystem bucket: download, merge, verify,
// upload, mark. Prints the time, the samples merged per second, and the bucket bytes before and
// after (the three replicas against the one compacted block).
//
// The replicas are identical by default (the usual case: chunks equal byte for byte are kept once);
// with BENCH_GAPS=1 each replica misses a different scrape in every 50, so every chunk differs and
// is decoded and merged sample by sample (the worst case).
//
// Env: BENCH_SERIES (10000), BENCH_GAPS=1, BENCH_SMOKE=1 (500 series, a couple of seconds).
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { FilesystemBucket, tenantBucket } from '../../pkg/bucket/index.js';
import { uploadBlockDir } from '../../pkg/bucket-index/testing.js';
import { HOUR, testCompactor } from '../../pkg/compactor/testing.js';
import { INGESTER_ID_LABEL, MetaCache } from '../../pkg/compactor/index.js';
import { Labels } from '../../pkg/model/labels/index.js';
import type { ChunkSeries } from '../../pkg/storage/index.js';
import { TENANT_EXTERNAL_LABEL, chunkSeriesFromSamples, listChunkSeriesSet, writeBlock } from '../../pkg/tsdb/block/index.js';

const smoke = process.env.BENCH_SMOKE === '1';
const numSeries = Number(process.env.BENCH_SERIES ?? (smoke ? 500 : 10_000));
const gaps = process.env.BENCH_GAPS === '1';
const STEP = 15_000;
const TENANT = 'bench';

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await fs.stat(path.join(e.parentPath, e.name))).size;
  }
  return n;
}

/** The series of one 2h range as replica `r` holds them; without gaps every replica holds all samples. */
function rangeSeries(r: number): ChunkSeries[] {
  const perSeries = (2 * HOUR) / STEP;
  const ts: number[] = [];
  const vs: number[] = [];
  const out: ChunkSeries[] = [];
  for (let i = 0; i < numSeries; i++) {
    ts.length = 0;
    vs.length = 0;
    let v = i;
    for (let k = 0; k < perSeries; k++) {
      v += (k * 7 + i) % 13;
      if (gaps && k % 50 === r * 17) continue;
      ts.push(k * STEP);
      vs.push(v);
    }
    out.push(chunkSeriesFromSamples(Labels.fromRecord({ __name__: 'node_cpu_seconds_total', instance: `host-${i >> 4}:9100`, cpu: String(i & 15), mode: 'user' }), ts, vs));
  }
  return out.sort((a, b) => Labels.compare(a.labels, b.labels));
}

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-compact-bench-'));
try {
  const bucketDir = path.join(root, 'bucket');
  const bucket = new FilesystemBucket(bucketDir);
  let samples = 0;
  let series = gaps ? [] : rangeSeries(0);
  for (let r = 0; r < 3; r++) {
    if (gaps) series = rangeSeries(r);
    const local = path.join(root, `ingester-${r}`);
    await fs.mkdir(local);
    const meta = await writeBlock(local, listChunkSeriesSet(series), {
      minTime: 0,
      maxTime: 2 * HOUR,
      thanos: { labels: { [TENANT_EXTERNAL_LABEL]: TENANT, [INGESTER_ID_LABEL]: `ingester-${r}` }, downsample: { resolution: 0 }, source: 'receive' },
    });
    if (meta === undefined) throw new Error('BUG: empty bench block');
    samples += meta.stats.numSamples;
    await uploadBlockDir(bucket, TENANT, path.join(local, meta.ulid), meta.ulid);
  }
  const before = await dirBytes(path.join(bucketDir, TENANT));
  const c = testCompactor(bucket, path.join(root, 'data'), { now: 4 * HOUR });
  const t0 = performance.now();
  await c.compactor.compactUsers();
  const seconds = (performance.now() - t0) / 1000;
  if (!/^myelin_compactor_group_compactions_total 1$/m.test(await c.registry.metrics())) throw new Error('the compaction did not run');
  // Bytes of the live block: everything in the bucket minus the marked replicas and the markers.
  await c.cleaner.cleanUsers();
  c.clock.now += c.cfg.deletionDelay + 1;
  // Partial-block age is judged by file times; deleting marked blocks only needs the injected clock.
  await c.cleaner.cleanUsers();
  const after = (await dirBytes(path.join(bucketDir, TENANT))) - (await fs.stat(path.join(bucketDir, TENANT, 'bucket-index.json.gz'))).size;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const { metas } = await new MetaCache().read(tenantBucket(bucket, TENANT), TENANT, pino({ level: 'silent' }));
  if (metas.size !== 1) throw new Error(`BUG: ${metas.size} blocks left after compaction and cleanup`);
  const outSamples = [...metas.values()][0].stats.numSamples;
  console.log(`compact 3 ${gaps ? 'diverging' : 'identical'} replica blocks × ${numSeries} series × 2h @15s (${samples} samples in, ${outSamples} out)`);
  console.log(`  time ${seconds.toFixed(2)} s, ${Math.round(samples / seconds).toLocaleString('en-US')} input samples/s`);
  console.log(`  bucket ${mb(before)} MB before, ${mb(after)} MB after: ${mb(before - after)} MB saved (${((1 - after / before) * 100).toFixed(1)}%)`);
} finally {
  await fs.rm(root, { recursive: true, force: true });
}
