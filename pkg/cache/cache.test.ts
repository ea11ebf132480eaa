import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, RedisServer, TestProcess, tempDir, waitUntil } from '../testutil/index.js';
import { ConfigError, defaults } from '../flagext/index.js';
import type { Cache } from './cache.js';
import { redisConfig, validateRedisConfig } from './config.js';
import { instrumentedCache } from './instrumented-cache.js';
import { LruCache } from './lru-cache.js';
import { RedisCache } from './redis-cache.js';
import { RedisPool, redisOptions } from './redis-pool.js';

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

test('redis cache through a real Redis Sentinel (master_name): the Sentinel names the master', async (t) => {
  const dir = tempDir(t, 'myelin-sentinel-');
  const port = await freePort();
  writeFileSync(join(dir, 'sentinel.conf'), `port ${port}\nbind 127.0.0.1\nsentinel monitor cache-master 127.0.0.1 ${redis.port} 1\n`);
  const sentinel = new TestProcess('redis-sentinel', '/usr/bin/redis-server', [join(dir, 'sentinel.conf'), '--sentinel']);
  t.after(() => sentinel.stop('SIGKILL'));
  const cfg = { ...defaults(redisConfig('')), addresses: `127.0.0.1:${port}, 127.0.0.1:1`, masterName: 'cache-master', timeout: 300 };
  validateRedisConfig(cfg, 'cache');
  const pool = new RedisPool(cfg);
  t.after(() => pool.close());
  const c = new RedisCache('chunks', pool, 60_000, { logger: log, registry: new Registry() });
  await waitUntil(async () => (await c.store(kv(['s:a', 'via sentinel'])), (await c.fetch(['s:a'])).size === 1), { what: 'writes through the sentinel', timeoutMs: 20_000 });
  // The item is in the master the Sentinel monitors.
  const direct = new RedisPool({ ...defaults(redisConfig('')), addresses: redis.address });
  t.after(() => direct.close());
  await waitUntil(async () => (await direct.client().get('s:a').catch(() => null)) !== null, { what: 'the master to hold the item' });
});

test('redis options: TLS files, server name, read timeout; unusable settings name their key', (t) => {
  const dir = tempDir(t, 'myelin-redis-tls-');
  writeFileSync(join(dir, 'ca.pem'), 'CA');
  writeFileSync(join(dir, 'c.pem'), 'CERT');
  writeFileSync(join(dir, 'k.pem'), 'KEY');
  const base = { ...defaults(redisConfig('')), addresses: 'r:6380' };
  const tls = { ...base, tlsEnabled: true, tlsCaPath: join(dir, 'ca.pem'), tlsCertPath: join(dir, 'c.pem'), tlsKeyPath: join(dir, 'k.pem'), tlsServerName: 'cache.example', readTimeout: 1500 };
  validateRedisConfig(tls, 'x');
  const o = redisOptions(tls);
  assert.deepEqual([o.host, o.port, o.socketTimeout], ['r', 6380, 1500]);
  assert.deepEqual({ ...o.tls, ca: String(o.tls?.ca), cert: String(o.tls?.cert), key: String(o.tls?.key) },
    { rejectUnauthorized: true, ca: 'CA', cert: 'CERT', key: 'KEY', servername: 'cache.example' });
  assert.equal(redisOptions(base).tls, undefined, 'no TLS unless tls_enabled');

  const cases: [Partial<typeof base>, string, RegExp][] = [
    [{ addresses: 'a:1,b:2' }, 'x.redis.addresses', /Redis Cluster is not supported/],
    [{ tlsCertPath: join(dir, 'c.pem') }, 'x.redis.tls_key_path', /go together/],
    [{ tlsCaPath: join(dir, 'nope.pem') }, 'x.redis.tls_ca_path', /cannot read .*nope\.pem/],
  ];
  for (const [change, path, why] of cases) {
    assert.throws(() => validateRedisConfig({ ...base, ...change }, 'x'), (err: unknown) => err instanceof ConfigError && err.path === path && why.test(err.message), path);
  }
});
