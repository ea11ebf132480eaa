import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { waitUntil } from '../testutil/index.js';
import { FilesystemBucket } from '../bucket/index.js';
import { uploadTestBlock } from '../bucket-index/testing.js';
import { Labels } from '../model/labels/index.js';
import { Head } from '../tsdb/index.js';
import { dumpPlain, dumpQuerier, type PlainSeries } from '../tsdb/block/block-test-util.js';
import { startTestCluster } from './testing.js';
import { timeSplitQueryable } from './time-split-queryable.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-split-'));
after(() => fs.rm(root, { recursive: true, force: true }));
const HOUR = 3_600_000;

test('a query spanning the ingester/store boundary returns each sample exactly once', async () => {
  const now = 30 * HOUR;
  const step = 60_000;
  const all: PlainSeries[] = [0, 1, 2].map((i) => ({ labels: { __name__: 'm', i: String(i) }, samples: [] }));
  for (let t = 0; t <= now; t += step) for (const s of all) s.samples.push([t, t / step + Number(s.labels.i)]);
  // Blocks hold [0, 19h) (shipped), the "ingester" head holds [16h, now]: 3h in both.
  const bucket = new FilesystemBucket(path.join(root, 'bucket'));
  const inBlocks = (lo: number, hi: number) => all.map((s) => ({ labels: s.labels, samples: s.samples.filter(([t]) => t >= lo && t < hi) }));
  await uploadTestBlock(bucket, 't', inBlocks(0, 10 * HOUR));
  await uploadTestBlock(bucket, 't', inBlocks(10 * HOUR, 19 * HOUR));
  const head = await Head.open();
  // In time order across series: the head refuses samples far behind its newest one.
  const refs = all.map(() => 0);
  const ls = all.map((s) => Labels.fromRecord(s.labels));
  for (let k = 0; k < all[0].samples.length; k++) {
    if (all[0].samples[k][0] < 16 * HOUR) continue;
    const app = head.appender();
    for (let i = 0; i < all.length; i++) refs[i] = app.append(refs[i], ls[i], all[i].samples[k][0], all[i].samples[k][1]);
    await app.commit();
  }
  const c = await startTestCluster({ bucket, gatewayIds: ['sg-1'], replicationFactor: 1 });
  try {
    await waitUntil(() => c.gateways.get('sg-1')?.gateway.store.blockCount() === 2, { what: 'blocks loaded' });
    const q = timeSplitQueryable(head, c.queryable.forTenant('t'), { queryIngestersWithin: 13 * HOUR, queryStoreAfter: 12 * HOUR, now: () => now });
    for (const [mint, maxt] of [[0, now], [15 * HOUR, 20 * HOUR], [20 * HOUR, now], [HOUR, 5 * HOUR]]) {
      assert.deepEqual(await dumpQuerier(await q.querier(mint, maxt), mint, maxt), dumpPlain(all, mint, maxt), `[${mint}, ${maxt}]`);
    }
    assert.deepEqual(await (await q.querier(0, now)).labelValues('i', { limit: 0 }), ['0', '1', '2']);
  } finally {
    await c.close();
  }
});
