import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { waitUntil } from '../testutil/index.js';
import { FilesystemBucket } from '../bucket/index.js';
import { BucketIndexUpdater } from '../bucket-index/index.js';
import { uploadTestBlock } from '../bucket-index/testing.js';
import { MemoryStore } from '../kv/index.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startTestGateway } from './testing.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-sg-'));
after(() => fs.rm(root, { recursive: true, force: true }));

test('GET /store-gateway/ring shows the members; a new block is loaded on the next sync; /store-gateway/status lists it', async () => {
  const bucket = new FilesystemBucket(path.join(root, 'bucket'));
  const series = [{ labels: { __name__: 'up' }, samples: [[0, 1]] as [number, number][] }];
  await uploadTestBlock(bucket, 'a', series);
  const updater = new BucketIndexUpdater({ bucket, logger: pino({ level: 'silent' }), registry: new Registry() });
  await updater.updateAll();
  const ring = new MemoryStore();
  const gws = [
    await startTestGateway({ id: 'sg-1', bucket, ring, syncDir: path.join(root, 'sg-1'), replicationFactor: 2 }),
    await startTestGateway({ id: 'sg-2', bucket, ring, syncDir: path.join(root, 'sg-2'), replicationFactor: 2 }),
  ];
  const app = Fastify();
  try {
    await gws[0].gateway.registerRoutes(app);
    await waitUntil(() => gws[0].gateway.lifecycler.ring.snapshot().instances.length === 2, { what: 'both members' });
    const page = await app.inject({ method: 'GET', url: '/store-gateway/ring' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /sg-1/);
    assert.match(page.body, /sg-2/);
    const json = await app.inject({ method: 'GET', url: '/store-gateway/ring', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 200);

    await waitUntil(() => gws.every((g) => g.gateway.store.blockCount() === 1), { what: 'the first block on both' });
    const m2 = await uploadTestBlock(bucket, 'a', series);
    await updater.updateAll();
    for (const g of gws) await g.gateway.sync();
    for (const g of gws) assert.ok(g.gateway.store.blockIds('a').includes(m2.ulid));

    // GET /store-gateway/status: the tenant and each held block with its time range.
    const status = await app.inject({ method: 'GET', url: '/store-gateway/status', headers: { accept: 'application/json' } });
    assert.equal(status.statusCode, 200);
    const held = status.json<{ instance: string; tenants: { tenant: string; blocks: { ulid: string; minTime: number; maxTime: number; numSeries: number }[] }[] }>();
    assert.equal(held.instance, 'sg-1');
    assert.deepEqual(held.tenants.map((t) => t.tenant), ['a']);
    assert.deepEqual(held.tenants[0].blocks.map((b) => b.ulid).sort(), gws[0].gateway.store.blockIds('a'));
    assert.deepEqual(held.tenants[0].blocks.map((b) => [b.minTime, b.maxTime, b.numSeries]), [[0, 1, 1], [0, 1, 1]]);
    const html = await app.inject({ method: 'GET', url: '/store-gateway/status', headers: { accept: 'text/html' } });
    assert.match(html.headers['content-type'] as string, /^text\/html/);
    assert.match(html.body, /holds 2 blocks of 1 tenant/);
    assert.match(html.body, new RegExp(`<code>${m2.ulid}</code></td><td>1970-01-01T00:00:00\\.000Z</td><td>1970-01-01T00:00:00\\.001Z</td><td>1ms</td>`));
  } finally {
    await app.close();
    for (const g of gws) await g.stop();
  }
});
