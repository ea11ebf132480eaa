// Prometheus' rule file format (rulefmt): groups of recording and alerting rules in YAML, parsed
// strictly and validated as Prometheus does, every error naming its group and rule.
import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import type { Node as YamlNode, YAMLMap } from 'yaml';
import { formatDuration, parseDurationMs, parseExpr } from '../promql/parser/index.js';
import { AlertTemplate } from './template/index.js';

export interface RuleDesc {
  /** Exactly one of `record` and `alert` is set. */
  record: string;
  alert: string;
  expr: string;
  /** ms */
  for: number;
  keepFiringFor: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroupDesc {
  name: string;
  /** ms; 0: the ruler's -ruler.evaluation-interval. */
  interval: number;
  /** Most series a rule may produce (0: no limit). */
  limit: number;
  rules: RuleDesc[];
}

/** A rule file or group that Prometheus would refuse; the message names the group and rule. */
export class RuleFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleFormatError';
  }
}

const metricNameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const groupKeys = new Set(['name', 'interval', 'limit', 'rules', 'source_tenants']);
const ruleKeys = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

/** Parses a whole rule file (`groups: [...]`); throws RuleFormatError. */
export function parseRuleFile(text: string): RuleGroupDesc[] {
  const root = yamlRoot(text);
  if (root === null) return [];
  if (!isMap(root)) throw new RuleFormatError('a rule file is a mapping with a "groups" key');
  checkKeys(root, new Set(['groups']), 'rule file');
  const groups = root.get('groups', true) as YamlNode | undefined;
  if (groups === undefined || groups === null) return [];
  if (!isSeq(groups)) throw new RuleFormatError('"groups" must be a list');
  const out = groups.items.map((g) => parseGroupNode(g as YamlNode));
  const seen = new Set<string>();
  for (const g of out) {
    if (seen.has(g.name)) throw new RuleFormatError(`groupname: "${g.name}" is repeated in the same file`);
    seen.add(g.name);
  }
  return out;
}

/** Parses one rule group (what Cortex's config API takes in a POST); throws RuleFormatError. */
export function parseRuleGroup(text: string): RuleGroupDesc {
  const root = yamlRoot(text);
  if (root === null) throw new RuleFormatError('the body is empty: expected a rule group in YAML');
  return parseGroupNode(root);
}

function yamlRoot(text: string): YamlNode | null {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new RuleFormatError(`invalid YAML: ${doc.errors[0].message}`);
  return doc.contents as YamlNode | null;
}

function checkKeys(m: YAMLMap, allowed: ReadonlySet<string>, where: string): void {
  for (const item of m.items) {
    const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
    if (!allowed.has(key)) throw new RuleFormatError(`${where}: field ${key} not found (valid: ${[...allowed].join(', ')})`);
  }
}

function parseGroupNode(node: YamlNode): RuleGroupDesc {
  if (!isMap(node)) throw new RuleFormatError('a rule group is a mapping with "name" and "rules"');
  const name = scalarString(node, 'name', 'group');
  const where = `group "${name}"`;
  checkKeys(node, groupKeys, where);
  // Cortex's federated rule groups: refused rather than evaluated over this tenant alone.
  if (node.has('source_tenants')) throw new RuleFormatError(`${where}: source_tenants (federated rule groups) is not supported: remove it, or copy the group to each tenant`);
  if (name === '') throw new RuleFormatError('Groupname must not be empty');
  const interval = durationField(node, 'interval', where);
  const limitRaw = scalarValue(node, 'limit');
  const limit = limitRaw === undefined ? 0 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 0) throw new RuleFormatError(`${where}: limit must be a non-negative integer, got ${JSON.stringify(limitRaw)}`);
  const rulesNode = node.get('rules', true) as YamlNode | undefined;
  if (rulesNode !== undefined && rulesNode !== null && !isSeq(rulesNode)) throw new RuleFormatError(`${where}: "rules" must be a list`);
  const rules = (rulesNode?.items ?? []).map((r, i) => parseRule(r as YamlNode, name, i + 1));
  return { name, interval, limit, rules };
}

function parseRule(node: YamlNode, group: string, index: number): RuleDesc {
  if (!isMap(node)) throw new RuleFormatError(`group "${group}", rule ${index}: a rule is a mapping`);
  const rule: RuleDesc = {
    record: scalarString(node, 'record', `group "${group}", rule ${index}`),
    alert: scalarString(node, 'alert', `group "${group}", rule ${index}`),
    expr: scalarString(node, 'expr', `group "${group}", rule ${index}`),
    for: 0,
    keepFiringFor: 0,
    labels: {},
    annotations: {},
  };
  const where = `group "${group}", rule ${index}, "${rule.record || rule.alert}"`;
  checkKeys(node, ruleKeys, where);
  rule.for = durationField(node, 'for', where);
  rule.keepFiringFor = durationField(node, 'keep_firing_for', where);
  rule.labels = stringMap(node, 'labels', where);
  rule.annotations = stringMap(node, 'annotations', where);
  const problem = validateRule(rule, node);
  if (problem !== undefined) throw new RuleFormatError(`${where}: ${problem}`);
  return rule;
}

/** Prometheus' rulefmt checks of one rule: the first problem, or undefined. */
function validateRule(r: RuleDesc, node: YAMLMap): string | undefined {
  if (r.record !== '' && r.alert !== '') return "only one of 'record' and 'alert' must be set";
  if (r.record === '' && r.alert === '') return "one of 'record' or 'alert' must be set";
  if (r.expr === '') return "field 'expr' must be set in rule";
  try {
    parseExpr(r.expr);
  } catch (err) {
    return `could not parse expression: ${(err as Error).message}`;
  }
  if (r.record !== '') {
    if (node.has('annotations')) return "invalid field 'annotations' in recording rule";
    if (node.has('for')) return "invalid field 'for' in recording rule";
    if (node.has('keep_firing_for')) return "invalid field 'keep_firing_for' in recording rule";
    if (!metricNameRe.test(r.record)) return `invalid recording rule name: ${r.record}`;
  }
  for (const k of Object.keys(r.labels)) {
    if (!labelNameRe.test(k) || k === '__name__') return `invalid label name: ${k}`;
  }
  for (const k of Object.keys(r.annotations)) {
    if (!labelNameRe.test(k)) return `invalid annotation name: ${k}`;
  }
  if (r.alert !== '') {
    // Prometheus parses every label and annotation template when it loads the rule.
    for (const [k, text] of [...Object.entries(r.labels), ...Object.entries(r.annotations)]) {
      try {
        new AlertTemplate(`__alert_${r.alert}`, text);
      } catch (err) {
        return `template for "${k}": ${(err as Error).message}`;
      }
    }
  }
  return undefined;
}

function scalarValue(m: YAMLMap, key: string): unknown {
  const v = m.get(key, true) as YamlNode | undefined;
  if (v === undefined || v === null) return undefined;
  if (!isScalar(v)) throw new RuleFormatError(`field ${key} must be a scalar`);
  return v.value;
}

function scalarString(m: YAMLMap, key: string, where: string): string {
  const v = scalarValue(m, key);
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') throw new RuleFormatError(`${where}: field ${key} must be a string`);
  return String(v);
}

function durationField(m: YAMLMap, key: string, where: string): number {
  const raw = scalarString(m, key, where);
  if (raw === '') return 0;
  const ms = parseDurationMs(raw);
  if (ms === null) throw new RuleFormatError(`${where}: ${key}: not a valid duration string: "${raw}"`);
  return ms;
}

function stringMap(m: YAMLMap, key: string, where: string): Record<string, string> {
  const v = m.get(key, true) as YamlNode | undefined;
  if (v === undefined || v === null) return {};
  if (!isMap(v)) throw new RuleFormatError(`${where}: ${key} must be a mapping of strings`);
  const out: Record<string, string> = {};
  for (const item of v.items) {
    const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
    const val = isScalar(item.value) ? item.value.value : item.value;
    if (val !== null && typeof val === 'object') throw new RuleFormatError(`${where}: ${key}.${k} must be a string`);
    out[k] = val === null || val === undefined ? '' : String(val);
  }
  return out;
}

/** The group as Prometheus writes it in a rule file: only the fields that are set. */
export function ruleGroupObject(g: RuleGroupDesc): Record<string, unknown> {
  const out: Record<string, unknown> = { name: g.name };
  if (g.interval > 0) out.interval = formatDuration(g.interval);
  if (g.limit > 0) out.limit = g.limit;
  out.rules = g.rules.map((r) => {
    const o: Record<string, unknown> = r.record !== '' ? { record: r.record } : { alert: r.alert };
    o.expr = r.expr;
    if (r.for > 0) o.for = formatDuration(r.for);
    if (r.keepFiringFor > 0) o.keep_firing_for = formatDuration(r.keepFiringFor);
    if (Object.keys(r.labels).length > 0) o.labels = r.labels;
    if (Object.keys(r.annotations).length > 0) o.annotations = r.annotations;
    return o;
  });
  return out;
}

/** YAML of a rule file holding `groups`. */
export function ruleFileYaml(groups: RuleGroupDesc[]): string {
  return stringify({ groups: groups.map(ruleGroupObject) });
}

/** YAML of one group (Cortex's GET /api/v1/rules/{namespace}/{groupName}). */
export function ruleGroupYaml(g: RuleGroupDesc): string {
  return stringify(ruleGroupObject(g));
}
