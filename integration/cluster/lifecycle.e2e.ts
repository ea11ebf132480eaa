// Cardinality, series deletion and tenant deletion on a microservices cluster
// (integration/e2e/cluster.ts: 3 ingesters with RF=3, 2 queriers, 2 store-gateways, a compactor,
// etcd, Redis and the local GCS-API server): every series lives on three ingesters, and each
// querier answers as if it lived once. Past its cancel period a series deletion is gone from the
// data itself: the compactor rewrites the block it compacted from the ingesters' replicas, the
// store-gateways serve the rewritten block, and the ingesters delete the samples from their heads;
// a querier with series deletion off, which reads the data raw, finds none of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, remoteWriteBody, subtest, withLogsOnFailure } from '../e2e/cluster.js';
import type { TestSeries } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({
    flags: {
      // A per-tenant limit: queriers read the tenant's delete requests only where it is on, as the compactor takes them.
      // Readers drop blocks marked for deletion at once, so a rewritten block alone answers.
      querier: ['-querier.cardinality-analysis-enabled=true', '-purger.series-deletion-enabled=true', '-blocks-storage.bucket-store.ignore-deletion-marks-delay=0s'],
      'store-gateway': ['-blocks-storage.bucket-store.ignore-deletion-marks-delay=0s'],
      compactor: ['-purger.series-deletion-enabled=true', '-compactor.cleanup-interval=1s'],
      // Ingesters delete a request's samples from their heads once it is past this cancel period.
      ingester: ['-blocks-storage.tsdb.head-compaction-interval=500ms', '-purger.delete-request-cancel-period=1s'],
    },
  });
});

after(async () => {
  await cluster?.stop();
});

/** `metric` with `n` series (pod p0..), a sample every 10s over the last minute. */
function series(metric: string, n: number, now: number): TestSeries[] {
  return Array.from({ length: n }, (_, i) => ({
    labels: { __name__: metric, pod: `p${i}` },
    samples: Array.from({ length: 6 }, (_, k): [number, number] => [now - (5 - k) * 10_000, k]),
  }));
}

async function json(r: Response): Promise<unknown> {
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

test('cardinality, series deletion and tenant deletion over RF=3 ingesters', { timeout: 180_000 }, async (t) => {
  await withLogsOnFailure(cluster, async () => {
    const now = Date.now();
    assert.equal((await cluster.push('life', remoteWriteBody([...series('big', 5, now), ...series('small', 2, now)]))).status, 200);
    assert.equal((await cluster.push('gone', remoteWriteBody(series('big', 3, now)))).status, 200);

    await subtest(t, 'each querier counts every series once though three ingesters hold it', async () => {
      for (const q of cluster.queriers) {
        const s = (await json(await cluster.query('life', '/api/v1/status/tsdb', {}, q))) as { data: { headStats: { numSeries: number }; seriesCountByMetricName: unknown } };
        assert.equal(s.data.headStats.numSeries, 7);
        assert.deepEqual(s.data.seriesCountByMetricName, [{ name: 'big', value: 5 }, { name: 'small', value: 2 }]);
        const v = await json(await cluster.query('life', '/api/v1/cardinality/label_values', { 'label_names[]': 'pod' }, q));
        assert.deepEqual(v, {
          series_count_total: 7,
          labels: [{ label_name: 'pod', label_values_count: 5, series_count: 7, cardinality: [
            { label_value: 'p0', series_count: 2 }, { label_value: 'p1', series_count: 2 }, { label_value: 'p2', series_count: 1 },
            { label_value: 'p3', series_count: 1 }, { label_value: 'p4', series_count: 1 }] }],
        });
        const active = (await json(await cluster.query('life', '/api/v1/cardinality/active_series', { selector: 'small' }, q))) as { data: unknown[] };
        assert.equal(active.data.length, 2);
      }
    });

    await subtest(t, 'a series delete request sent to the compactor hides the series in every querier at once', async () => {
      const compactor = cluster.compactors[0];
      const r = await fetch(`${compactor.url('/prometheus/api/v1/admin/tsdb/delete_series')}?${new URLSearchParams({ 'match[]': 'big{pod=~"p[0-2]"}' })}`,
        { method: 'POST', headers: { 'X-Scope-OrgID': 'life' } });
      assert.equal(r.status, 204, await r.text());
      for (const q of cluster.queriers) {
        const res = (await json(await cluster.query('life', '/api/v1/query', { query: 'count(big)' }, q))) as { data: { result: { value: [number, string] }[] } };
        assert.equal(res.data.result[0].value[1], '2');
      }
    });

    await subtest(t, 'tenant deletion: every ingester drops the tenant, the other tenant keeps its series', async () => {
      const compactor = cluster.compactors[0];
      assert.equal((await fetch(compactor.url('/purger/delete_tenant'), { method: 'POST', headers: { 'X-Scope-OrgID': 'gone' } })).status, 200);
      await waitUntil(async () => {
        for (const ing of cluster.ingesters) if ((await ing.metric('myelin_ingester_deleted_tenants_total')) !== 1) return false;
        return true;
      }, { what: 'three ingesters dropped the tenant', timeoutMs: 30_000 });
      const gone = (await json(await cluster.query('gone', '/api/v1/query', { query: 'big' }))) as { data: { result: unknown[] } };
      assert.deepEqual(gone.data.result, []);
      const status = (await json(await fetch(compactor.url('/purger/delete_tenant_status'), { headers: { 'X-Scope-OrgID': 'gone' } }))) as { blocks_deleted: boolean };
      assert.equal(status.blocks_deleted, true);
      const kept = (await json(await cluster.query('life', '/api/v1/query', { query: 'count(small)' }))) as { data: { result: { value: [number, string] }[] } };
      assert.equal(kept.data.result[0].value[1], '2');
    });
  });
});

/** The `pod` labels of `metric`'s series with samples in the 15m up to `at`, as `querier` answers. */
async function pods(tenant: string, metric: string, at: number, querier = cluster.queriers[0]): Promise<string[]> {
  const res = (await json(await cluster.query(tenant, '/api/v1/query', { query: `${metric}[15m]`, time: String(at / 1000) }, querier))) as
    { data: { result: { metric: { pod: string } }[] } };
  return res.data.result.map((r) => r.metric.pod).sort();
}

test('series deletion past the cancel period: compacted then rewritten block served by the store-gateways, ingester heads deleted', { timeout: 240_000 }, async (t) => {
  await withLogsOnFailure(cluster, async () => {
    const compactor = cluster.compactors[0];
    // `old` 16h back: blocks alone answer for it (the queriers ask ingesters for the last 13h only),
    // in a 2h range the compactor takes at once. `recent` stays in the ingesters' heads.
    const HOUR = 3_600_000;
    const now = Date.now();
    const t0 = Math.floor((now - 16 * HOUR) / (2 * HOUR)) * 2 * HOUR + 60_000;
    const at = t0 + 10 * 60_000;
    const samples = (from: number): [number, number][] => Array.from({ length: 10 }, (_, k) => [from + k * 60_000, k]);
    const three = (metric: string, from: number): TestSeries[] => ['p0', 'p1', 'p2'].map((pod) => ({ labels: { __name__: metric, pod }, samples: samples(from) }));
    assert.equal((await cluster.push('purge', remoteWriteBody(three('old', t0)))).status, 200);
    for (const ing of cluster.ingesters) assert.equal((await fetch(ing.url('/ingester/flush?wait=true'), { method: 'POST' })).status, 204);
    assert.equal((await cluster.push('purge', remoteWriteBody(three('recent', now - 9 * 60_000)))).status, 200);

    await subtest(t, 'the compactor merges the three replica blocks', async () => {
      await compactor.stop();
      await compactor.start(['-compactor.compaction-interval=1s']);
      await waitUntil(async () => (await compactor.metric('myelin_compactor_blocks_marked_for_deletion_total', { reason: 'compaction' })) >= 3,
        { what: 'the replicas compacted and marked', timeoutMs: 60_000, intervalMs: 250 });
      // Queriers drop the marked replicas at once (no ignore delay here) while the compacted block,
      // new within the upload grace period, may be missed: until every store-gateway (RF 3 of 2:
      // both) holds it, a querier asking the one that does not yet answers nothing.
      for (const sg of cluster.storeGateways) {
        await waitUntil(async () => {
          const res = await fetch(sg.url('/store-gateway/status'), { headers: { accept: 'application/json' } });
          const held = (await json(res)) as { tenants: { tenant: string; blocks: { level: number; minTime: number }[] }[] };
          return held.tenants.some((x) => x.tenant === 'purge' && x.blocks.some((b) => b.level >= 2 && b.minTime <= t0));
        }, { what: `the compacted block held by ${sg.name}`, timeoutMs: 30_000, intervalMs: 250 });
      }
      for (const q of cluster.queriers) {
        await waitUntil(async () => (await pods('purge', 'old', at, q)).join() === 'p0,p1,p2', { what: `the compacted block served by ${q.name}`, timeoutMs: 30_000 });
      }
    });

    const del = await fetch(`${compactor.url('/prometheus/api/v1/admin/tsdb/delete_series')}?${new URLSearchParams({ 'match[]': '{pod=~"p[01]"}' })}`,
      { method: 'POST', headers: { 'X-Scope-OrgID': 'purge' } });
    assert.equal(del.status, 204, await del.text());

    await subtest(t, 'hidden at once in every querier, from blocks and heads', async () => {
      for (const q of cluster.queriers) {
        assert.deepEqual(await pods('purge', 'old', at, q), ['p2']);
        assert.deepEqual(await pods('purge', 'recent', now, q), ['p2']);
      }
    });

    await subtest(t, 'past the cancel period: the block rewritten, the heads deleted; a querier reading raw data finds nothing deleted', async () => {
      await compactor.stop();
      await compactor.start(['-compactor.compaction-interval=1s', '-purger.delete-request-cancel-period=1s']);
      const state = async () => ((await json(await fetch(compactor.url('/prometheus/api/v1/admin/tsdb/delete_series'), { headers: { 'X-Scope-OrgID': 'purge' } }))) as { state: string }[])[0]?.state;
      await waitUntil(async () => (await state()) === 'processed', { what: 'the request processed by the compactor', timeoutMs: 60_000, intervalMs: 250 });
      assert.ok((await compactor.metric('myelin_compactor_blocks_marked_for_deletion_total', { reason: 'series-deletion' })) >= 1);
      const raw = await cluster.newProcess('querier', 'querier-raw', ['-purger.series-deletion-enabled=false']);
      await raw.start();
      try {
        await waitUntil(async () => (await pods('purge', 'old', at, raw)).join() === 'p2', { what: 'the rewritten block alone answering', timeoutMs: 60_000 });
        await waitUntil(async () => (await pods('purge', 'recent', now, raw)).join() === 'p2', { what: 'the samples deleted from every ingester head', timeoutMs: 30_000 });
        for (const q of cluster.queriers) assert.deepEqual(await pods('purge', 'old', at, q), ['p2']);
      } finally {
        await raw.stop();
      }
    });
  });
});
