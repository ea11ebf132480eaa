// Cortex's rule configuration API, per tenant (X-Scope-OrgID), in YAML as cortextool and
// Grafana's ruler API use it, under each base path of `bases` (/api/v1/rules, and the ones
// Grafana's Cortex and Mimir ruler clients and Cortex's legacy prefix use):
//   GET    /api/v1/rules                         every namespace: { <namespace>: [groups] }
//   GET    /api/v1/rules/{namespace}             { <namespace>: [groups] }
//   POST   /api/v1/rules/{namespace}             one group (YAML body): created or replaced, 202
//   DELETE /api/v1/rules/{namespace}             every group of the namespace, 202
//   GET    /api/v1/rules/{namespace}/{groupName} one group
//   DELETE /api/v1/rules/{namespace}/{groupName} 202
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { stringify } from 'yaml';
import type { Limits } from '../limits/index.js';
import { RuleFormatError, parseRuleGroup, ruleGroupObject } from './rulefmt.js';
import type { RuleGroupDesc } from './rulefmt.js';
import { ReadOnlyStoreError, type RuleStore, type TenantRules } from './rule-store.js';

export interface ConfigApiDeps {
  /** Where the API is served, e.g. `/api/v1/rules`, `/prometheus/config/v1/rules`. */
  bases: readonly string[];
  store: RuleStore;
  tenantOf: (req: FastifyRequest) => string;
  limits: (tenant: string) => Pick<Limits, 'rulerMaxRulesPerRuleGroup' | 'rulerMaxRuleGroupsPerTenant'>;
  /** Called after a tenant's rules changed, so the ruler applies them at once. */
  changed: (tenant: string) => void;
  registry: Registry;
}

/** Largest rule group body accepted (bytes). */
const maxBodyBytes = 1 << 20;
const success = '{"status":"success","data":null,"errorType":"","error":""}';

export function registerRuleConfigApi(app: FastifyInstance, deps: ConfigApiDeps): void {
  const rejected = new Counter({
    name: 'myelin_ruler_config_api_rejected_total',
    help: 'Requests to the rule configuration API refused for bad input, by reason.',
    labelNames: ['reason', 'user'],
    registers: [deps.registry],
  });
  const refuse = (reply: FastifyReply, tenant: string, status: number, reason: string, message: string): FastifyReply => {
    rejected.inc({ reason, user: tenant });
    return reply.code(status).type('text/plain; charset=utf-8').send(message);
  };
  const yamlReply = (reply: FastifyReply, doc: unknown): FastifyReply => reply.type('application/yaml').send(stringify(doc));
  const namespaceDoc = (rules: TenantRules): Record<string, unknown> =>
    Object.fromEntries([...rules].map(([ns, groups]) => [ns, groups.map(ruleGroupObject)]));
  const params = (req: FastifyRequest): { namespace: string; groupName: string } => req.params as { namespace: string; groupName: string };

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

    for (const base of deps.bases) {
      scope.get(base, async (req, reply) => {
        const rules = await deps.store.rules(deps.tenantOf(req));
        if (rules.size === 0) return reply.code(404).type('text/plain; charset=utf-8').send('no rule groups found');
        return yamlReply(reply, namespaceDoc(rules));
      });

      scope.get(`${base}/:namespace`, async (req, reply) => {
        const { namespace } = params(req);
        const groups = (await deps.store.rules(deps.tenantOf(req))).get(namespace);
        if (groups === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('group namespace does not exist');
        return yamlReply(reply, { [namespace]: groups.map(ruleGroupObject) });
      });

      scope.get(`${base}/:namespace/:groupName`, async (req, reply) => {
        const { namespace, groupName } = params(req);
        const group = (await deps.store.rules(deps.tenantOf(req))).get(namespace)?.find((g) => g.name === groupName);
        if (group === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('group does not exist');
        return yamlReply(reply, ruleGroupObject(group));
      });

      scope.post(`${base}/:namespace`, async (req, reply) => {
        const tenant = deps.tenantOf(req);
        const { namespace } = params(req);
        if (deps.store.readOnly) return refuse(reply, tenant, 400, 'read_only', new ReadOnlyStoreError().message);
        let group: RuleGroupDesc;
        try {
          group = parseRuleGroup(typeof req.body === 'string' ? req.body : '');
        } catch (err) {
          if (!(err instanceof RuleFormatError)) throw err;
          return refuse(reply, tenant, 400, 'invalid_rule_group', `namespace "${namespace}": ${err.message}`);
        }
        const limits = deps.limits(tenant);
        const maxRules = limits.rulerMaxRulesPerRuleGroup;
        if (maxRules > 0 && group.rules.length > maxRules) {
          return refuse(reply, tenant, 400, 'max_rules_per_rule_group', `per-user rules per rule group limit (limit: ${maxRules} actual: ${group.rules.length}) exceeded (group "${group.name}")`);
        }
        const maxGroups = limits.rulerMaxRuleGroupsPerTenant;
        if (maxGroups > 0) {
          const existing = await deps.store.rules(tenant);
          const count = [...existing.values()].reduce((n, gs) => n + gs.length, 0);
          const replaces = existing.get(namespace)?.some((g) => g.name === group.name) === true;
          if (!replaces && count + 1 > maxGroups) {
            return refuse(reply, tenant, 400, 'max_rule_groups_per_tenant', `per-user rule groups limit (limit: ${maxGroups} actual: ${count + 1}) exceeded`);
          }
        }
        await deps.store.setGroup(tenant, namespace, group);
        deps.changed(tenant);
        return reply.code(202).type('application/json').send(success);
      });

      scope.delete(`${base}/:namespace/:groupName`, async (req, reply) => {
        const tenant = deps.tenantOf(req);
        const { namespace, groupName } = params(req);
        if (deps.store.readOnly) return refuse(reply, tenant, 400, 'read_only', new ReadOnlyStoreError().message);
        if (!(await deps.store.deleteGroup(tenant, namespace, groupName))) return reply.code(404).type('text/plain; charset=utf-8').send('group does not exist');
        deps.changed(tenant);
        return reply.code(202).type('application/json').send(success);
      });

      scope.delete(`${base}/:namespace`, async (req, reply) => {
        const tenant = deps.tenantOf(req);
        const { namespace } = params(req);
        if (deps.store.readOnly) return refuse(reply, tenant, 400, 'read_only', new ReadOnlyStoreError().message);
        const groups = (await deps.store.rules(tenant)).get(namespace);
        if (groups === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('group namespace does not exist');
        for (const g of groups) await deps.store.deleteGroup(tenant, namespace, g.name);
        deps.changed(tenant);
        return reply.code(202).type('application/json').send(success);
      });
    }
  });
}
