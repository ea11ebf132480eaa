import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RedisServer, waitUntil } from '../testutil/index.js';
import { defaults } from '../flagext/index.js';
import type { Cache } from './cache.js';
import { redisConfig } from './config.js';
import { instrumentedCache } from './instrumented-cache.js';
import { LruCache } from './lru-cache.js';
import { RedisCache } from './redis-cache.js';
import { RedisPool } from './redis-pool.js';

const log = pino({ level: 'silent' });
const kv = (...pairs: [string, string][]) => new Map(pairs.map(([k, v]) => [k, Buffer.from(v)]));
const text = (m: Map<string, Buffer>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));

test('LRU evicts the least recently used entries beyond its byte budget', async () => {
  const c = new LruCache('t', 30); // each entry below is 2 + 8 = 10 bytes
  await c.store(kv(['k1', 'aaaaaaaa'], ['k2', 'bbbbbbbb'], ['k3', 'cccccccc']));
  assert.deepEqual(text(await c.fetch(['k1'])), { k1: 'aaaaaaaa' }); // k1 is now the newest
  await c.store(kv(['k4', 'dddddddd']));
  assert.deepEqual(Object.keys(text(await c.fetch(['k1', 'k2', 'k3', 'k4']))), ['k1', 'k3', 'k4']);
  assert.equal(c.bytes, 30);
  await c.store(kv(['huge', 'x'.repeat(100)]));
  assert.equal((await c.fetch(['huge'])).size, 0);
  assert.equal(c.items, 3);
});

test('instrumented cache counts keys requested and hits', async () => {
  const reg = new Registry();
  const c = instrumentedCache(new LruCache('chunks', 1000), reg);
  await c.store(kv(['a', '1']));
  await c.fetch(['a', 'b', 'c']);
  const t = await reg.metrics();
  assert.match(t, /myelin_cache_fetched_keys_total\{name="chunks"\} 3/);
  assert.match(t, /myelin_cache_hits_total\{name="chunks"\} 1/);
});

let redis: RedisServer;
before(async () => {
  redis = await RedisServer.start();
});
after(() => redis.stop());

test('redis cache against a real redis-server; down means misses, never errors; back means hits', async () => {
  const cfg = { ...defaults(redisConfig('')), addresses: redis.address, timeout: 300, poolSize: 2 };
  const pool = new RedisPool(cfg);
  const reg = new Registry();
  const c: Cache = new RedisCache('postings', pool, 60_000, { logger: log, registry: reg });
  try {
    await waitUntil(async () => (await c.store(kv(['probe', 'x'])), (await c.fetch(['probe'])).size === 1), { what: 'redis to accept writes' });
    await c.store(kv(['t1:a', 'one'], ['t1:b', Buffer.alloc(3, 0xff).toString('latin1')]));
    const got = await c.fetch(['t1:a', 't1:b', 't1:missing']);
    assert.equal(got.get('t1:a')?.toString(), 'one');
    assert.ok(got.get('t1:b')?.equals(Buffer.from(Buffer.alloc(3, 0xff).toString('latin1'))));
    assert.equal(got.has('t1:missing'), false);

    await redis.stop();
    assert.equal((await c.fetch(['t1:a'])).size, 0);
    await c.store(kv(['t1:c', 'lost'])); // resolves, drops the item
    assert.match(await reg.metrics(), /myelin_cache_redis_errors_total\{name="postings",operation="fetch"\} [1-9]/);

    await redis.restart(); // comes back empty, on the same port
    await waitUntil(async () => (await c.store(kv(['t1:a', 'again'])), (await c.fetch(['t1:a'])).get('t1:a')?.toString() === 'again'), {
      what: 'redis cache to recover',
    });
  } finally {
    await pool.close();
  }
});
