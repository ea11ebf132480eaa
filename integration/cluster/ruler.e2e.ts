// Two rulers sharding rule groups by the ruler ring in etcd, in a real microservices cluster
// (integration/e2e/cluster.ts): every group is evaluated by exactly one ruler; when one is killed
// the other takes over all of its groups within a heartbeat timeout, and their recording rules keep
// writing through the distributor ring into the ingesters. Either ruler's rules API lists all groups.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, withLogsOnFailure } from '../e2e/cluster.js';
import type { MyelinProcess } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';

const tenant = 'ruler-sharding';
// Groups land on rulers by their hash against random tokens: with 8, one ruler took all of them in
// about 1 run of 100 (CI); with 24 that is below 1 in 10,000 even for a 70/30 token split.
const GROUPS = 24;
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.stop();
});

/** The groups a ruler evaluates: those with a last evaluation in its own metrics. */
async function groupsOf(r: MyelinProcess): Promise<string[]> {
  const text = await (await r.get('/metrics')).text();
  return [...text.matchAll(/^myelin_prometheus_rule_group_last_evaluation_timestamp_seconds\{[^}]*rule_group="ns;(g\d+)"[^}]*\} /gm)].map((m) => m[1]).sort();
}

/** The groups the Prometheus rules API of a ruler lists (every ruler's, merged), with their health. */
async function apiGroups(r: MyelinProcess): Promise<string[]> {
  const res = await r.get('/prometheus/api/v1/rules', { 'x-scope-orgid': tenant });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { data: { groups: Array<{ name: string; rules: Array<{ health: string }> }> } };
  return body.data.groups.map((g) => `${g.name}:${g.rules.map((x) => x.health).join(',')}`);
}

test('two rulers share the rule groups, each evaluated once; the survivor takes all after a kill', async () => {
  await withLogsOnFailure(cluster, async () => {
    for (const name of ['ruler-1', 'ruler-2']) cluster.rulers.push(await cluster.newProcess('ruler', name));
    await Promise.all(cluster.rulers.map((r) => r.start()));
    const [r1, r2] = cluster.rulers;
    await waitUntil(async () => (await r1.ring('/ruler/ring')).filter((i) => i.state === 'ACTIVE' && i.healthy).length === 2, { timeoutMs: 30_000, what: '2 ACTIVE rulers' });

    const all = Array.from({ length: GROUPS }, (_, i) => `g${i}`).sort();
    for (const g of all) {
      const body = `name: ${g}\ninterval: 1s\nrules:\n  - record: ${g}:one\n    expr: vector(1)\n`;
      const res = await fetch(r1.url('/api/v1/rules/ns'), { method: 'POST', headers: { 'x-scope-orgid': tenant, 'content-type': 'application/yaml' }, body });
      assert.equal(res.status, 202, await res.text());
    }
    let split: [string[], string[]] = [[], []];
    await waitUntil(async () => {
      split = [await groupsOf(r1), await groupsOf(r2)];
      return split[0].length + split[1].length === GROUPS;
    }, { timeoutMs: 30_000, intervalMs: 250, what: 'every group evaluated' });
    assert.deepEqual([...split[0], ...split[1]].sort(), all, `no group twice, none missing: ${JSON.stringify(split)}`);
    assert.ok(split[0].length > 0 && split[1].length > 0, `both rulers have groups: ${JSON.stringify(split)}`);
    // Either ruler's rules API answers for every group: its own and its peer's (over gRPC).
    const everyGroupOk = all.map((g) => `${g}:ok`);
    assert.deepEqual(await apiGroups(r1), everyGroupOk);
    assert.deepEqual(await apiGroups(r2), everyGroupOk);

    // The recording rules' results reach the ingesters through the distributor ring.
    await waitUntil(async () => {
      const res = await cluster.query(tenant, '/api/v1/query', { query: 'count({__name__=~"g[0-9]+:one"})' });
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0]?.value[1] === String(GROUPS);
    }, { timeoutMs: 30_000, intervalMs: 250, what: 'every group\'s recorded series' });

    await r2.stop('SIGKILL');
    const killedAt = Date.now();
    await waitUntil(async () => (await groupsOf(r1)).length === GROUPS, { timeoutMs: 30_000, intervalMs: 250, what: 'ruler-1 evaluates every group' });
    await waitUntil(async () => JSON.stringify(await apiGroups(r1)) === JSON.stringify(all.map((g) => `${g}:ok`)), { timeoutMs: 15_000, what: 'ruler-1 lists every group alone' });
    // Heartbeat timeout 4s, checked every second, then one evaluation interval.
    assert.ok(Date.now() - killedAt < 15_000, `took over after ${Date.now() - killedAt}ms`);
    const evaluations = async (): Promise<number> => r1.metric('myelin_prometheus_rule_evaluations_total', { user: tenant });
    const before = await evaluations();
    await waitUntil(async () => (await evaluations()) >= before + 2 * GROUPS, { timeoutMs: 15_000, what: 'ruler-1 keeps evaluating every group' });
  });
});
