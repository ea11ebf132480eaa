import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { defaults } from '../flagext/index.js';
import { IngesterConn, ingesterClientConfig } from '../ingester/client/index.js';
import { startTestIngester, type TestIngester } from '../ingester/testing.js';
import { MemoryStore } from '../kv/index.js';
import { LimitReason, QueryLimitError, QueryLimiter, noQueryLimits } from '../limits/index.js';
import { MatchType, Matcher } from '../model/labels/index.js';
import { InstanceState, RingSnapshot, RingView } from '../ring/index.js';
import { ValueType } from '../storage/index.js';
import type { InstanceDesc, ReadRing } from '../ring/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { IngestersQueryable } from './ingesters-queryable.js';

function push(ti: TestIngester, tenant: string, name: string, n: number): Promise<void> {
  const timeseries = Array.from({ length: n }, (_, i) => ({
    labels: [{ name: '__name__', value: name }, { name: 'i', value: String(i) }], samples: [{ timestamp: 1000, value: i }], exemplars: [],
    histograms: [],
  }));
  return new Promise((resolve, reject) => ti.client.push({ timeseries, metadata: [] }, tenantMetadata(tenant), (err) => (err ? reject(err) : resolve())));
}

async function count(q: IngestersQueryable): Promise<number> {
  const set = (await q.querier(0, 1e13)).select({ start: 0, end: 1e13, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Regexp, '__name__', '.+'));
  let n = 0;
  while (await set.next()) n++;
  const err = set.err();
  if (err !== undefined) throw err;
  return n;
}

/** Two ingesters on one ring (neither may fail), stopped when `t` ends, and the querier's view of them. */
async function twoIngesters(t: TestContext) {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const a = await startTestIngester({ id: 'a', kv, bucketDir });
  t.after(a.stop);
  const b = await startTestIngester({ id: 'b', kv, bucketDir });
  t.after(b.stop);
  const instances = [a, b].map((ti) => ({ addr: `127.0.0.1:${ti.server.grpcPort()}` }) as InstanceDesc);
  const ring = { getReplicationSetForOperation: () => ({ instances, maxErrors: 0 }) } as unknown as ReadRing;
  const conns = new Map<string, IngesterConn>();
  const deps = { ring, timeout: 10_000, client: (addr: string) => conns.get(addr) ?? conns.set(addr, new IngesterConn(defaults(ingesterClientConfig), addr)).get(addr) as IngesterConn };
  t.after(() => { for (const c of conns.values()) c.close(); });
  return { a, b, deps };
}

test('the querier counts the series of every ingester together and stops the query once they pass the limit', async (t) => {
  const { a, b, deps } = await twoIngesters(t);
  // Each ingester holds 60 series, under the limit of 100; together they hold 120.
  await push(a, 't', 'from_a', 60);
  await push(b, 't', 'from_b', 60);

  assert.equal(await count(new IngestersQueryable('t', deps)), 120);
  const limiter = new QueryLimiter({ ...noQueryLimits, maxFetchedSeriesPerQuery: 100 });
  await assert.rejects(count(new IngestersQueryable('t', deps, limiter)), (err) =>
    err instanceof QueryLimitError && err.reason === LimitReason.MaxFetchedSeries && err.message === 'the query hit the max number of series limit (limit: 100 series)');
  assert.equal(limiter.signal.aborted, true, 'the other call was cancelled');
  // An ingester over the limit on its own ends its stream with the limit's error, which the querier reports as is.
  const small = new QueryLimiter({ ...noQueryLimits, maxFetchedChunksPerQuery: 10 });
  await assert.rejects(count(new IngestersQueryable('t', deps, small)), { name: 'QueryLimitError', message: 'the query hit the max number of chunks limit (limit: 10 chunks)' });
});

test('series reads (the series API) get labels only: every series once, in label order, without samples, within the series limit', async (t) => {
  const { a, b, deps } = await twoIngesters(t);
  // Both ingesters hold the same 3 series, as RF replicas do, and b 2 more.
  await push(a, 't', 'm', 3);
  await push(b, 't', 'm', 5);
  const series = async (limiter?: QueryLimiter) => {
    const set = (await new IngestersQueryable('t', deps, limiter).querier(0, 1e13))
      .select({ start: 0, end: 1e13, step: 0, func: 'series', range: 0, sortSeries: true }, new Matcher(MatchType.Equal, '__name__', 'm'));
    const out: string[] = [];
    while (await set.next()) {
      assert.equal(set.at().iterator().next(), ValueType.None, 'no samples');
      out.push(set.at().labels.get('i'));
    }
    if (set.err() !== undefined) throw set.err();
    return out;
  };
  assert.deepEqual(await series(), ['0', '1', '2', '3', '4']);
  await assert.rejects(series(new QueryLimiter({ ...noQueryLimits, maxFetchedSeriesPerQuery: 4 })),
    { name: 'QueryLimitError', message: 'the query hit the max number of series limit (limit: 4 series)' });
});

test('partial_response: when more ingesters are unreachable than the ring tolerates, the reachable ones answer with a warning naming the others; by default the query fails', async (t) => {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const ingesters: TestIngester[] = [];
  for (const id of ['a', 'b', 'c']) {
    const ti = await startTestIngester({ id, kv, bucketDir });
    t.after(ti.stop);
    ingesters.push(ti);
    await push(ti, 't', `from_${id}`, 10);
  }
  const addrs = ingesters.map((ti) => `127.0.0.1:${ti.server.grpcPort()}`);
  // RF=3: one of the three may fail.
  const ring = { getReplicationSetForOperation: () => ({ instances: addrs.map((addr) => ({ addr }) as InstanceDesc), maxErrors: 1 }) } as unknown as ReadRing;
  const conns = new Map<string, IngesterConn>();
  const deps = { ring, timeout: 5_000, client: (addr: string) => conns.get(addr) ?? conns.set(addr, new IngesterConn(defaults(ingesterClientConfig), addr)).get(addr) as IngesterConn };
  t.after(() => { for (const c of conns.values()) c.close(); });
  const select = async (partialResponse: boolean) => {
    const set = (await new IngestersQueryable('t', deps, new QueryLimiter(noQueryLimits, { partialResponse })).querier(0, 1e13))
      .select({ start: 0, end: 1e13, step: 0, func: '', range: 0, sortSeries: true }, new Matcher(MatchType.Regexp, '__name__', '.+'));
    const names = new Set<string>();
    while (await set.next()) names.add(set.at().labels.get('__name__'));
    if (set.err() !== undefined) throw set.err();
    return { names: [...names], warnings: set.warnings() };
  };
  assert.deepEqual(await select(true), { names: ['from_a', 'from_b', 'from_c'], warnings: [] });
  // One down is within what the ring tolerates: no warning, the query answers from the others.
  await ingesters[2].stop();
  assert.deepEqual(await select(false), { names: ['from_a', 'from_b'], warnings: [] });
  // Two down: the replication set fails.
  await ingesters[1].stop();
  await assert.rejects(select(false), /query ingesters: 2 of 3 failed \(at most 1 may\)/);
  const partial = await select(true);
  assert.deepEqual(partial.names, ['from_a']);
  assert.equal(partial.warnings.length, 1);
  assert.match(partial.warnings[0], new RegExp(`^partial response: ingesters unreachable, 2 of 3 failed \\(at most 1 may\\): ${addrs[1]}, ${addrs[2]}: `));

  // Later the dead ingesters' heartbeats expire and the ring itself has too few healthy ones: by
  // default that fails as before; partial_response asks every ingester of the ring.
  const now = Date.now();
  const snapshot = new RingSnapshot(addrs.map((addr, i) => ({
    id: `ingester-${'abc'[i]}`, addr, state: InstanceState.ACTIVE, tokens: [(i + 1) * 1000], zone: '', registeredTimestamp: 0, timestamp: i === 0 ? Math.floor(now / 1000) : 0,
  })));
  deps.ring = new RingView(snapshot, { replicationFactor: 3, heartbeatTimeout: 60_000, zoneAwarenessEnabled: false }, () => now);
  await assert.rejects(select(false), /at least 2 healthy replicas required, found 1/);
  const expired = await select(true);
  assert.deepEqual(expired.names, ['from_a']);
  assert.match(expired.warnings[0], new RegExp(`^partial response: ingesters unreachable, 2 of 3 failed \\(at most 1 may\\): ingester-b \\(${addrs[1]}\\), ingester-c \\(${addrs[2]}\\): `));
});
