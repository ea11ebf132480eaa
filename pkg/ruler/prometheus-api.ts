// Prometheus' GET /api/v1/rules (filters type, rule_name[], rule_group[], file[]) and
// GET /api/v1/alerts over a tenant's groups, in Prometheus' JSON (web/api/v1 ruleDiscovery). A
// group's `file` is its namespace, as in Cortex.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AlertState, sortLabels, type Alert, type AlertingRule } from './alerting-rule.js';
import type { RuleGroup, RuleStatus } from './group.js';
import type { GroupJson } from './ruler-peers.js';

export interface RulesApiDeps {
  /** Every group of the tenant in the API's JSON: this ruler's, and with sharding its peers'. */
  groups: (tenant: string) => Promise<GroupJson[]>;
  tenantOf: (req: FastifyRequest) => string;
}

/** A group in the JSON of Prometheus' rules API, every rule with its active alerts. */
export function groupJson(g: RuleGroup): GroupJson {
  return {
    name: g.desc.name, file: g.namespace, rules: g.rules.map(ruleJson), interval: g.interval / 1000, limit: g.desc.limit,
    evaluationTime: g.evaluationTime, lastEvaluation: goTime(g.lastEvaluation),
  };
}

/** Go's time.Time in JSON (RFC 3339, fraction without trailing zeros); the zero time before any evaluation. */
function goTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** strconv.FormatFloat(v, 'e', -1, 64): `1e+00`, `1.25e+01`. */
function goExp(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [m, e] = v.toExponential().split('e');
  const n = Number(e);
  return `${m}e${n < 0 ? '-' : '+'}${Math.abs(n) < 10 ? '0' : ''}${Math.abs(n)}`;
}

function alertJson(a: Alert): Record<string, unknown> {
  return { labels: a.labels, annotations: a.annotations, state: a.state, activeAt: goTime(a.activeAt), value: goExp(a.value) };
}

const activeAlerts = (r: AlertingRule): Alert[] => [...r.active.values()].filter((a) => a.state !== AlertState.Inactive);

function ruleState(r: AlertingRule): string {
  const alerts = activeAlerts(r);
  if (alerts.some((a) => a.state === AlertState.Firing)) return 'firing';
  return alerts.length > 0 ? 'pending' : 'inactive';
}

function ruleJson(r: RuleStatus): Record<string, unknown> {
  const common = { health: r.health, ...(r.lastError === '' ? {} : { lastError: r.lastError }), evaluationTime: r.evaluationTime, lastEvaluation: goTime(r.lastEvaluation) };
  const a = r.alerting;
  if (a === undefined) {
    const labels = Object.keys(r.desc.labels).length > 0 ? { labels: sortLabels(r.desc.labels) } : {};
    return { name: r.desc.record, query: r.desc.expr, ...labels, ...common, type: 'recording' };
  }
  return {
    state: ruleState(a), name: a.name, query: r.desc.expr, duration: r.desc.for / 1000, keepFiringFor: r.desc.keepFiringFor / 1000,
    labels: sortLabels(r.desc.labels), annotations: sortLabels(r.desc.annotations), alerts: activeAlerts(a).map(alertJson), ...common, type: 'alerting',
  };
}

function list(q: Record<string, string | string[] | undefined>, key: string): Set<string> | undefined {
  const v = q[key] ?? q[`${key}[]`];
  if (v === undefined) return undefined;
  return new Set(Array.isArray(v) ? v : [v]);
}

const badData = (error: string): string => JSON.stringify({ status: 'error', errorType: 'bad_data', error });

/** The tenant's groups, or Prometheus' `unavailable` error (503) when a peer ruler did not answer. */
async function groupsOr503(deps: RulesApiDeps, req: FastifyRequest): Promise<GroupJson[] | string> {
  try {
    return await deps.groups(deps.tenantOf(req));
  } catch (err) {
    if (!(err instanceof Error) || err.cause === undefined) throw err;
    return JSON.stringify({ status: 'error', errorType: 'unavailable', error: `${err.message}: ${(err.cause as Error).message}` });
  }
}

export function registerRulesApi(app: FastifyInstance, prefix: string, deps: RulesApiDeps): void {
  app.get(`${prefix}/api/v1/rules`, async (req, reply) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const typ = (typeof q.type === 'string' ? q.type : '').toLowerCase();
    if (typ !== '' && typ !== 'alert' && typ !== 'record') return reply.code(400).type('application/json').send(badData(`unsupported type: "${typ}"`));
    const names = list(q, 'rule_name');
    const groupNames = list(q, 'rule_group');
    const files = list(q, 'file');
    const wantType = typ === 'alert' ? 'alerting' : typ === 'record' ? 'recording' : undefined;
    const all = await groupsOr503(deps, req);
    if (typeof all === 'string') return reply.code(503).type('application/json').send(all);
    const groups = [];
    for (const g of all) {
      if (groupNames !== undefined && !groupNames.has(g.name)) continue;
      if (files !== undefined && !files.has(g.file)) continue;
      const rules = g.rules.filter((r) => (wantType === undefined || r.type === wantType) && (names === undefined || names.has(r.name as string)));
      if (rules.length === 0 && (typ !== '' || names !== undefined)) continue;
      groups.push({ ...g, rules });
    }
    return reply.type('application/json').send(JSON.stringify({ status: 'success', data: { groups } }));
  });

  app.get(`${prefix}/api/v1/alerts`, async (req, reply) => {
    const all = await groupsOr503(deps, req);
    if (typeof all === 'string') return reply.code(503).type('application/json').send(all);
    const alerts = all.flatMap((g) => g.rules.flatMap((r) => (r.type === 'alerting' ? (r.alerts as unknown[]) : [])));
    return reply.type('application/json').send(JSON.stringify({ status: 'success', data: { alerts } }));
  });
}
