import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaults } from '../flagext/index.js';
import { IngesterConn, ingesterClientConfig } from '../ingester/client/index.js';
import { startTestIngester, type TestIngester } from '../ingester/testing.js';
import { MemoryStore } from '../kv/index.js';
import { LimitReason, QueryLimitError, QueryLimiter, noQueryLimits } from '../limits/index.js';
import { MatchType, Matcher } from '../model/labels/index.js';
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

test('the querier counts the series of every ingester together and stops the query once they pass the limit', async (t) => {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const a = await startTestIngester({ id: 'a', kv, bucketDir });
  t.after(a.stop);
  const b = await startTestIngester({ id: 'b', kv, bucketDir });
  t.after(b.stop);
  // Each ingester holds 60 series, under the limit of 100; together they hold 120.
  await push(a, 't', 'from_a', 60);
  await push(b, 't', 'from_b', 60);
  const instances = [a, b].map((ti) => ({ addr: `127.0.0.1:${ti.server.grpcPort()}` }) as InstanceDesc);
  const ring = { getReplicationSetForOperation: () => ({ instances, maxErrors: 0 }) } as unknown as ReadRing;
  const conns = new Map<string, IngesterConn>();
  const deps = { ring, timeout: 10_000, client: (addr: string) => conns.get(addr) ?? conns.set(addr, new IngesterConn(defaults(ingesterClientConfig), addr)).get(addr) as IngesterConn };
  t.after(() => { for (const c of conns.values()) c.close(); });

  assert.equal(await count(new IngestersQueryable('t', deps)), 120);
  const limiter = new QueryLimiter({ ...noQueryLimits, maxFetchedSeriesPerQuery: 100 });
  await assert.rejects(count(new IngestersQueryable('t', deps, limiter)), (err) =>
    err instanceof QueryLimitError && err.reason === LimitReason.MaxFetchedSeries && err.message === 'the query hit the max number of series limit (limit: 100 series)');
  assert.equal(limiter.signal.aborted, true, 'the other call was cancelled');
  // An ingester over the limit on its own ends its stream with the limit's error, which the querier reports as is.
  const small = new QueryLimiter({ ...noQueryLimits, maxFetchedChunksPerQuery: 10 });
  await assert.rejects(count(new IngestersQueryable('t', deps, small)), { name: 'QueryLimitError', message: 'the query hit the max number of chunks limit (limit: 10 chunks)' });
});
