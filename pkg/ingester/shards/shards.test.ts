import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../../testutil/index.js';
import { bucketConfig } from '../../bucket/index.js';
import { defaults } from '../../flagext/index.js';
import { MemoryClient, MemoryStore } from '../../kv/index.js';
import { limitsConfig } from '../../limits/index.js';
import { InstanceState, instanceDescCodec } from '../../ring/index.js';
import { serverConfig } from '../../server/index.js';
import { ingesterClientConfig } from '../client/index.js';
import { ingesterConfig, tsdbConfig } from '../config.js';
import { silentLogger } from '../testing.js';
import { shardConfigs } from './shard-config.js';
import { IngesterShards } from './shards.js';

function shardsIn(dir: string, count: number, basePort = 0) {
  const ingester = defaults(ingesterConfig);
  ingester.lifecycler.id = 'ing';
  ingester.lifecycler.ring.kvstore.store = 'inmemory';
  ingester.lifecycler.ring.replicationFactor = 1;
  ingester.lifecycler.tokensFilePath = join(dir, 'tokens');
  ingester.maxTransferRetries = 0;
  ingester.shardsGrpcBasePort = basePort;
  const tsdb = { ...defaults(tsdbConfig), dir: join(dir, 'tsdb'), shipInterval: 0 };
  const bucket = defaults(bucketConfig);
  bucket.filesystem.dir = join(dir, 'blocks');
  const server = { ...defaults(serverConfig), grpcListenAddress: '127.0.0.1', logLevel: 'error' as const };
  return shardConfigs({ ingester, tsdb, bucket, ingesterClient: defaults(ingesterClientConfig), server, limits: defaults(limitsConfig), authEnabled: true, advertiseHost: '127.0.0.1', deleteRequestCancelPeriod: 24 * 3600_000 }, count);
}

test('shard configs: own ID, tokens file, TSDB dir and port per shard', () => {
  const [a, b] = shardsIn('/d', 2, 9100);
  assert.deepEqual([a.ingester.lifecycler.id, b.ingester.lifecycler.id], ['ing-shard-0', 'ing-shard-1']);
  assert.deepEqual([a.ingester.lifecycler.tokensFilePath, b.ingester.lifecycler.tokensFilePath], ['/d/tokens-shard-0', '/d/tokens-shard-1']);
  assert.deepEqual([a.tsdb.dir, b.tsdb.dir], ['/d/tsdb/shard-0', '/d/tsdb/shard-1']);
  assert.deepEqual([a.server.grpcListenPort, b.server.grpcListenPort], [9100, 9101]);
  assert.equal(shardsIn('/d', 1)[0].server.grpcListenPort, 0, 'no base port: free ports');
});

test('two shards join the process\'s memory ring from their threads, flush, and leave it on stop', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ingester-shards-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new MemoryStore();
  const shards = new IngesterShards(shardsIn(dir, 2), {
    logger: silentLogger, memoryKv: store, runtime: () => ({ overrides: new Map(), multiKv: undefined }), onRuntimeChange: () => {},
  });
  shards.service.startAsync();
  await shards.service.awaitRunning();
  await waitUntil(async () => (await shards.notReadyReason()) === undefined, { what: 'both shards ACTIVE', timeoutMs: 30_000 });
  const kv = new MemoryClient(store, instanceDescCodec, defaults(ingesterConfig).lifecycler.ring.kvstore.prefix);
  assert.deepEqual(await kv.list('ingester/'), ['ingester/ing-shard-0', 'ingester/ing-shard-1']);
  const descs = await Promise.all(['ing-shard-0', 'ing-shard-1'].map((id) => kv.get(`ingester/${id}`)));
  assert.ok(descs.every((d) => d?.state === InstanceState.ACTIVE && /^127\.0\.0\.1:[1-9]\d*$/.test(d.addr)), JSON.stringify(descs));
  assert.notEqual(descs[0]?.addr, descs[1]?.addr);
  await shards.flush('api');
  const metrics = (await shards.metrics()).map((ms) => ms.find((m) => m.name === 'myelin_ingester_flushes_total')?.values[0]?.value);
  assert.deepEqual(metrics, [1, 1]);
  shards.service.stopAsync();
  await shards.service.awaitTerminated();
  assert.deepEqual(await kv.list('ingester/'), [], 'both unregistered');
});

test('a shard that cannot start fails the module with the cause', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ingester-shards-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const shards = new IngesterShards(shardsIn(dir, 2, port - 1), {
    logger: silentLogger, memoryKv: new MemoryStore(), runtime: () => ({ overrides: new Map(), multiKv: undefined }), onRuntimeChange: () => {},
  });
  shards.service.startAsync();
  await assert.rejects(shards.service.awaitRunning(), (err: Error) => {
    const text = `${err.message} ${String((err.cause as Error | undefined)?.message)}`;
    assert.match(text, new RegExp(`ingester shard 1 crashed: listen gRPC on 127\\.0\\.0\\.1:${port}`));
    return true;
  });
  assert.equal(shards.service.state(), 'Failed');
});
