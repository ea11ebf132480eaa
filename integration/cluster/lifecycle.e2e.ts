// Cardinality, series deletion and tenant deletion on a microservices cluster
// (integration/e2e/cluster.ts: 3 ingesters with RF=3, 2 queriers, 2 store-gateways, a compactor,
// etcd, Redis and the local GCS-API server): every series lives on three ingesters, and each
// querier answers as if it lived once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, remoteWriteBody, withLogsOnFailure } from '../e2e/cluster.js';
import type { TestSeries } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({
    flags: {
      // A per-tenant limit: queriers read the tenant's delete requests only where it is on, as the compactor takes them.
      querier: ['-querier.cardinality-analysis-enabled=true', '-purger.series-deletion-enabled=true'],
      compactor: ['-purger.series-deletion-enabled=true', '-compactor.cleanup-interval=1s'],
      ingester: ['-blocks-storage.tsdb.head-compaction-interval=500ms'],
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

    await t.test('each querier counts every series once though three ingesters hold it', async () => {
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

    await t.test('a series delete request sent to the compactor hides the series in every querier at once', async () => {
      const compactor = cluster.compactors[0];
      const r = await fetch(`${compactor.url('/prometheus/api/v1/admin/tsdb/delete_series')}?${new URLSearchParams({ 'match[]': 'big{pod=~"p[0-2]"}' })}`,
        { method: 'POST', headers: { 'X-Scope-OrgID': 'life' } });
      assert.equal(r.status, 204, await r.text());
      for (const q of cluster.queriers) {
        const res = (await json(await cluster.query('life', '/api/v1/query', { query: 'count(big)' }, q))) as { data: { result: { value: [number, string] }[] } };
        assert.equal(res.data.result[0].value[1], '2');
      }
    });

    await t.test('tenant deletion: every ingester drops the tenant, the other tenant keeps its series', async () => {
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
