import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CardinalityError } from '../api/prometheus/index.js';
import { defaults } from '../flagext/index.js';
import { IngesterConn, ingesterClientConfig } from '../ingester/client/index.js';
import { startTestIngester, type TestIngester } from '../ingester/testing.js';
import { MemoryStore } from '../kv/index.js';
import { MatchType, Matcher } from '../model/labels/index.js';
import type { InstanceDesc, ReadRing } from '../ring/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { IngestersCardinality } from './ingesters-cardinality.js';

type Series = Record<string, string>;

function push(ti: TestIngester, tenant: string, series: Series[], t: number): Promise<void> {
  const timeseries = series.map((ls) => ({
    labels: Object.keys(ls).sort().map((name) => ({ name, value: ls[name] })), samples: [{ timestamp: t, value: 1 }], exemplars: [], histograms: [],
  }));
  return new Promise((resolve, reject) => ti.client.push({ timeseries, metadata: [] }, tenantMetadata(tenant), (err) => (err ? reject(err) : resolve())));
}

/**
 * Three ingesters, RF=2: every series is pushed to two of them, as the distributor places it. The
 * merged figures count each series once.
 */
test('cardinality over ingesters counts each replicated series once', async (t) => {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'bucket-'));
  const ings: TestIngester[] = [];
  for (const id of ['a', 'b', 'c']) {
    const ti = await startTestIngester({ id, kv, bucketDir, rf: 2 });
    t.after(ti.stop);
    ings.push(ti);
  }
  const now = Date.now();
  // 12 series of `http_requests_total` (3 codes × 4 pods) and 3 of `up`, each on two ingesters.
  const series: Series[] = [];
  for (const code of ['200', '404', '500']) for (let pod = 0; pod < 4; pod++) series.push({ __name__: 'http_requests_total', code, pod: `p${pod}` });
  for (let pod = 0; pod < 3; pod++) series.push({ __name__: 'up', pod: `p${pod}` });
  for (let i = 0; i < series.length; i++) {
    for (const ti of [ings[i % 3], ings[(i + 1) % 3]]) await push(ti, 't', [series[i]], now);
  }
  // One series written 30 minutes ago: in memory, but not active (idle timeout 10m).
  for (const ti of [ings[0], ings[1]]) await push(ti, 't', [{ __name__: 'old_metric', pod: 'p9' }], now - 30 * 60_000);

  const instances = ings.map((ti) => ({ addr: `127.0.0.1:${ti.server.grpcPort()}` }) as InstanceDesc);
  const ring = { getReplicationSetForOperation: () => ({ instances, maxErrors: 1 }), replicationFactor: () => 2 } as unknown as ReadRing;
  const conns = new Map<string, IngesterConn>();
  const client = (addr: string) => conns.get(addr) ?? conns.set(addr, new IngesterConn(defaults(ingesterClientConfig), addr)).get(addr) as IngesterConn;
  t.after(() => { for (const c of conns.values()) c.close(); });
  const src = new IngestersCardinality({ ring, timeout: 10_000, client });

  await t.test('status/tsdb', async () => {
    const s = await src.tsdbStatus('t', 3);
    assert.equal(s.numSeries, 16);
    assert.deepEqual(s.seriesCountByMetricName, [{ name: 'http_requests_total', value: 12 }, { name: 'up', value: 3 }, { name: 'old_metric', value: 1 }]);
    assert.deepEqual(s.seriesCountByLabelValuePair, [{ name: '__name__=http_requests_total', value: 12 }, { name: 'code=200', value: 4 }, { name: 'code=404', value: 4 }]);
    assert.equal(s.minTime, now - 30 * 60_000);
    assert.equal(s.maxTime, now);
  });

  await t.test('label names and values, in memory and active', async () => {
    const all = await src.labelNamesAndValues('t', [], 'inmemory', 0);
    assert.deepEqual([...all.get('pod') ?? []].sort(), ['p0', 'p1', 'p2', 'p3', 'p9']);
    assert.deepEqual([...all.get('__name__') ?? []].sort(), ['http_requests_total', 'old_metric', 'up']);
    const active = await src.labelNamesAndValues('t', [], 'active', 0);
    assert.deepEqual([...active.get('__name__') ?? []].sort(), ['http_requests_total', 'up']);
    const selected = await src.labelNamesAndValues('t', [new Matcher(MatchType.Equal, '__name__', 'up')], 'inmemory', 0);
    assert.deepEqual([...selected.keys()].sort(), ['__name__', 'pod']);
  });

  await t.test('label values cardinality', async () => {
    const got = await src.labelValuesCardinality('t', ['code', 'pod'], [], 'inmemory');
    assert.equal(got.seriesCount, 16);
    assert.deepEqual(Object.fromEntries(got.byName.get('code') ?? []), { 200: 4, 404: 4, 500: 4 });
    assert.deepEqual(Object.fromEntries(got.byName.get('pod') ?? []), { p0: 4, p1: 4, p2: 4, p3: 3, p9: 1 });
    const active = await src.labelValuesCardinality('t', ['pod'], [new Matcher(MatchType.Regexp, 'pod', 'p[09]')], 'active');
    assert.equal(active.seriesCount, 4);
    assert.deepEqual(Object.fromEntries(active.byName.get('pod') ?? []), { p0: 4 });
  });

  await t.test('active series, each once', async () => {
    const got = await src.activeSeries('t', [new Matcher(MatchType.Equal, '__name__', 'up')], 0);
    assert.deepEqual(got.map((ls) => ls.toRecord()), [0, 1, 2].map((p) => ({ __name__: 'up', pod: `p${p}` })));
    assert.deepEqual(await src.activeSeries('t', [new Matcher(MatchType.Equal, '__name__', 'old_metric')], 0), []);
  });

  await t.test('an ingester whose answer passes the size limit fails the request, though one failure is tolerated', async () => {
    await assert.rejects(src.activeSeries('t', [new Matcher(MatchType.Equal, '__name__', 'http_requests_total')], 100),
      (err) => err instanceof CardinalityError && err.reason === 'response_too_large' && /limit: 100 bytes/.test(err.message));
    await assert.rejects(src.labelNamesAndValues('t', [], 'inmemory', 10), (err) => err instanceof CardinalityError && err.reason === 'response_too_large');
  });

  await t.test('another tenant sees nothing', async () => {
    assert.equal((await src.tsdbStatus('other', 10)).numSeries, 0);
    assert.deepEqual(await src.activeSeries('other', [new Matcher(MatchType.Regexp, '__name__', '.+')], 0), []);
  });
});
