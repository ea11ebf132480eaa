import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { registerRuleConfigApi } from './config-api.js';
import { registerRulesApi } from './prometheus-api.js';
import type { GroupJson } from './ruler-peers.js';
import type { RuleGroupDesc } from './rulefmt.js';
import type { RuleStore, TenantRules } from './rule-store.js';

const recording = (name: string) => ({ name, query: 'up', health: 'ok', type: 'recording' });
const alerting = (name: string) => ({ name, query: 'up == 0', health: 'ok', type: 'alerting', alerts: [] });
const groups: GroupJson[] = [
  { name: 'a', file: 'ns1', rules: [recording('r1'), alerting('A1')] },
  { name: 'b', file: 'ns2', rules: [recording('r2')] },
  { name: 'empty', file: 'ns1', rules: [] },
];

test('the rules API filters by rule_group[], file[], type and rule_name[], dropping groups the filters emptied', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  registerRulesApi(app, '/prometheus', { groups: async () => groups, tenantOf: () => 't1' });
  const cases: Record<string, [string, Array<[string, string[]]>]> = {
    none: ['', [['a', ['r1', 'A1']], ['b', ['r2']], ['empty', []]]],
    oneGroup: ['rule_group[]=a', [['a', ['r1', 'A1']]]],
    twoGroups: ['rule_group[]=a&rule_group[]=b', [['a', ['r1', 'A1']], ['b', ['r2']]]],
    file: ['file[]=ns2', [['b', ['r2']]]],
    fileAndGroup: ['file[]=ns1&rule_group[]=b', []],
    alertsOnly: ['type=alert', [['a', ['A1']]]],
    recordsOfFile: ['file[]=ns1&type=record', [['a', ['r1']]]],
    ruleName: ['rule_name[]=r2', [['b', ['r2']]]],
  };
  for (const [name, [query, want]] of Object.entries(cases)) {
    await t.test(name, async () => {
      const res = await app.inject({ method: 'GET', url: `/prometheus/api/v1/rules?${query}` });
      assert.equal(res.statusCode, 200);
      const body = res.json<{ data: { groups: GroupJson[] } }>();
      assert.deepEqual(body.data.groups.map((g) => [g.name, g.rules.map((r) => r.name)]), want);
    });
  }
});

/** A rule store in memory. */
class MemoryRuleStore implements RuleStore {
  readonly readOnly = false;
  readonly #rules = new Map<string, TenantRules>();
  async tenants(): Promise<string[]> {
    return [...this.#rules.keys()];
  }
  async rules(tenant: string): Promise<TenantRules> {
    return this.#rules.get(tenant) ?? new Map();
  }
  async setGroup(tenant: string, namespace: string, group: RuleGroupDesc): Promise<void> {
    const rules = this.#rules.get(tenant) ?? new Map<string, RuleGroupDesc[]>();
    rules.set(namespace, [...(rules.get(namespace) ?? []).filter((g) => g.name !== group.name), group]);
    this.#rules.set(tenant, rules);
  }
  async deleteGroup(tenant: string, namespace: string, group: string): Promise<boolean> {
    const gs = this.#rules.get(tenant)?.get(namespace) ?? [];
    this.#rules.get(tenant)?.set(namespace, gs.filter((g) => g.name !== group));
    return gs.some((g) => g.name === group);
  }
}

test('the rule configuration API answers under Cortex\'s, Grafana\'s (Cortex and Mimir clients) and the legacy paths; source_tenants is refused', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  const registry = new Registry();
  const changed: string[] = [];
  registerRuleConfigApi(app, {
    bases: ['/api/v1/rules', '/prometheus/rules', '/prometheus/config/v1/rules', '/api/prom/rules'],
    store: new MemoryRuleStore(),
    tenantOf: (req) => String(req.headers['x-scope-orgid']),
    limits: () => ({ rulerMaxRulesPerRuleGroup: 0, rulerMaxRuleGroupsPerTenant: 0 }),
    changed: (tenant) => changed.push(tenant),
    registry,
  });
  await app.ready();
  const headers = { 'x-scope-orgid': 'team-a', 'content-type': 'application/yaml' };
  const group = 'name: g1\nrules:\n  - record: r\n    expr: up\n';
  const posted = await app.inject({ method: 'POST', url: '/prometheus/config/v1/rules/ns1', headers, payload: group });
  assert.equal(posted.statusCode, 202, posted.body);
  assert.deepEqual(changed, ['team-a']);
  for (const base of ['/api/v1/rules', '/prometheus/rules', '/prometheus/config/v1/rules', '/api/prom/rules']) {
    const all = await app.inject({ method: 'GET', url: base, headers });
    assert.equal(all.statusCode, 200, base);
    assert.deepEqual(parse(all.body), { ns1: [{ name: 'g1', rules: [{ record: 'r', expr: 'up' }] }] }, base);
    assert.equal((await app.inject({ method: 'GET', url: `${base}/ns1/g1`, headers })).statusCode, 200, base);
  }
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/prom/rules/ns1/g1', headers })).statusCode, 202);
  assert.equal((await app.inject({ method: 'GET', url: '/prometheus/rules/ns1/g1', headers })).statusCode, 404);

  const federated = await app.inject({ method: 'POST', url: '/prometheus/rules/ns1', headers, payload: `${group}source_tenants: [team-b]\n` });
  assert.equal(federated.statusCode, 400);
  assert.match(federated.body, /^namespace "ns1": group "g1": source_tenants \(federated rule groups\) is not supported/);
  const rejected = (await registry.getSingleMetric('myelin_ruler_config_api_rejected_total')?.get())?.values;
  assert.deepEqual(rejected?.map((v) => [v.labels.reason, v.value]), [['invalid_rule_group', 1]]);
});
