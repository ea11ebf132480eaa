import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdServer, waitUntil } from '../testutil/index.js';
import { defaults } from '../flagext/index.js';
import { EtcdClient, etcdConfig, jsonCodec } from '../kv/index.js';
import type { ReplicaDesc } from './ha-tracker.js';
import { FakeIngester, metricValue, ringOver, series, silentLogger, startDistributor, type Harness } from './testing.js';

let etcd: EtcdServer;
let ing: FakeIngester;
before(async () => {
  etcd = await EtcdServer.start();
  ing = await FakeIngester.start();
});
after(async () => {
  ing.stop();
  await etcd.close();
});

test('HA tracker over etcd: election, 202 for the other replica, replica label dropped, failover, shared by distributors', async (t) => {
  let now = Date.now();
  const kvs: EtcdClient<ReplicaDesc>[] = [];
  const start = async (): Promise<Harness> => {
    const kv = new EtcdClient({ ...defaults(etcdConfig('')), endpoints: [etcd.endpoint] }, jsonCodec<ReplicaDesc>(), 'ha-tracker/', { logger: silentLogger });
    kvs.push(kv);
    const h = await startDistributor({
      ring: ringOver([ing], 1),
      haKV: kv,
      now: () => now,
      cfg: (c) => Object.assign(c.haTracker, { enableHaTracker: true, haTrackerUpdateTimeout: 1000, haTrackerUpdateTimeoutJitterMax: 0, haTrackerFailoverTimeout: 5000 }),
      limits: (l) => {
        l.acceptHaSamples = true;
        l.haMaxClusters = 2;
      },
    });
    t.after(() => h.close());
    return h;
  };
  t.after(() => Promise.all(kvs.map((k) => k.close())));
  const [d1, d2] = [await start(), await start()];
  const from = (replica: string, cluster = 'prod') => ({ timeseries: [series('up', { __replica__: replica, cluster, job: 'node' }, [now])], metadata: [] });

  assert.equal((await d1.push('team', from('r1'))).status, 200);
  const stored = ing.series().at(-1);
  assert.equal(stored, 'team:__name__=up,cluster=prod,job=node', 'the replica label is dropped');

  const dup = await d1.push('team', from('r2'));
  assert.equal(dup.status, 202);
  assert.equal(await metricValue(d1.registry, 'myelin_distributor_deduped_samples_total', { user: 'team', cluster: 'prod' }), 1);

  // The other distributor learns the election through its etcd watch.
  await waitUntil(() => d2.distributor.haTracker?.elected().some((e) => e.replica === 'r1') ?? false, { what: 'election seen by d2' });
  assert.equal((await d2.push('team', from('r2'))).status, 202);
  assert.equal((await d2.push('team', from('r1'))).status, 200);

  // r1 goes silent; after the failover timeout r2 is elected and r1 is refused.
  now += 6000;
  assert.equal((await d2.push('team', from('r2'))).status, 200);
  assert.equal((await d1.push('team', from('r1'))).status, 202);
  assert.equal(await metricValue(d2.registry, 'myelin_ha_tracker_elected_replica_changes_total', { user: 'team', cluster: 'prod' }), 1);
  const page = await (await fetch(`${d1.url}/distributor/ha_tracker`)).text();
  assert.match(page, /<td>team<\/td><td>prod<\/td><td>r2<\/td>/);

  // Another tenant is tracked separately; the cluster limit applies per tenant.
  assert.equal((await d1.push('other', from('r1'))).status, 200);
  assert.equal((await d1.push('team', from('a', 'staging'))).status, 200);
  const third = await d1.push('team', from('a', 'dev'));
  assert.equal(third.status, 400);
  assert.match(await third.text(), /too many HA clusters \(limit: 2/);
  assert.equal(await metricValue(d1.registry, 'myelin_discarded_samples_total', { reason: 'too_many_ha_clusters', user: 'team' }), 1);

  // Elections silent for 30 minutes are deleted, everywhere; the next push elects anew.
  now += 31 * 60_000;
  await d1.distributor.haTracker?.cleanup();
  await waitUntil(() => d2.distributor.haTracker?.elected().length === 0, { what: 'elections deleted on d2' });
  assert.equal((await d2.push('team', from('r1'))).status, 200);
  assert.equal((await d1.push('team', from('r2'))).status, 202);

  // Series without the HA labels are accepted and counted.
  assert.equal((await d1.push('team', { timeseries: [series('up', { job: 'x' }, [now])], metadata: [] })).status, 200);
  assert.equal(await metricValue(d1.registry, 'myelin_distributor_non_ha_samples_received_total', { user: 'team' }), 1);
});
