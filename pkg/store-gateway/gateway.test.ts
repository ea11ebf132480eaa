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

test('GET /store-gateway/ring shows the members; a new block is loaded on the next sync', async () => {
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
  } finally {
    await app.close();
    for (const g of gws) await g.stop();
  }
});
