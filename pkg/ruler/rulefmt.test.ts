import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RuleFormatError, parseRuleFile, parseRuleGroup, ruleFileYaml, ruleGroupYaml } from './rulefmt.js';

const good = `groups:
  - name: api
    interval: 30s
    limit: 10
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
        labels: { team: web }
      - alert: HighErrorRate
        expr: job:http_errors:rate5m > 0.5
        for: 5m
        keep_firing_for: 1m
        labels: { severity: page }
        annotations:
          summary: "{{ $labels.job }} errors at {{ $value | humanizePercentage }}"
`;

/** Runs promtool check rules on `text`: true when Prometheus 2.42 accepts it. */
function promtoolAccepts(text: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-rulefmt-'));
  try {
    writeFileSync(join(dir, 'r.yml'), text);
    return spawnSync('promtool', ['check', 'rules', join(dir, 'r.yml')], { timeout: 30_000 }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a valid rule file parses and writes back to YAML promtool accepts, unchanged', () => {
  const groups = parseRuleFile(good);
  assert.equal(groups.length, 1);
  const [g] = groups;
  assert.deepEqual({ name: g.name, interval: g.interval, limit: g.limit }, { name: 'api', interval: 30_000, limit: 10 });
  assert.deepEqual(g.rules[1], {
    record: '', alert: 'HighErrorRate', expr: 'job:http_errors:rate5m > 0.5', for: 300_000, keepFiringFor: 60_000,
    labels: { severity: 'page' }, annotations: { summary: '{{ $labels.job }} errors at {{ $value | humanizePercentage }}' },
  });
  const written = ruleFileYaml(groups);
  assert.ok(promtoolAccepts(written), written);
  assert.deepEqual(parseRuleFile(written), groups);
  assert.deepEqual(parseRuleGroup(ruleGroupYaml(g)), g);
});

const rule = (r: string): string => `groups:\n  - name: g\n    rules:\n${r.replace(/^/gm, '      ')}\n`;

// Every case is refused by promtool too (checked below), and our message names group and rule.
const bad: Record<string, [string, RegExp]> = {
  bothKinds: [rule('- record: a\n  alert: b\n  expr: up'), /group "g", rule 1, "a": only one of 'record' and 'alert' must be set/],
  neitherKind: [rule('- expr: up'), /group "g", rule 1, "": one of 'record' or 'alert' must be set/],
  noExpr: [rule('- record: a'), /rule 1, "a": field 'expr' must be set in rule/],
  badExpr: [rule('- record: a\n  expr: sum(up'), /rule 1, "a": could not parse expression/],
  badRecordName: [rule('- record: a-b\n  expr: up'), /invalid recording rule name: a-b/],
  forOnRecord: [rule('- record: a\n  expr: up\n  for: 1m'), /invalid field 'for' in recording rule/],
  annotationsOnRecord: [rule('- record: a\n  expr: up\n  annotations: { x: y }'), /invalid field 'annotations' in recording rule/],
  badLabelName: [rule('- alert: A\n  expr: up\n  labels: { "a-b": x }'), /invalid label name: a-b/],
  badTemplate: [rule('- alert: A\n  expr: up\n  annotations: { s: "{{ $labels.x " }'), /rule 1, "A": template for "s": .*unclosed action/],
  badDuration: [rule('- alert: A\n  expr: up\n  for: 5 minutes'), /for: not a valid duration string/],
  unknownField: [rule('- alert: A\n  expr: up\n  severity: page'), /field severity not found/],
  emptyGroupName: ['groups:\n  - name: ""\n    rules: []\n', /Groupname must not be empty/],
  repeatedGroup: ['groups:\n  - name: a\n    rules: []\n  - name: a\n    rules: []\n', /groupname: "a" is repeated in the same file/],
  notYaml: ['groups: [\n', /invalid YAML/],
  sourceTenants: ['groups:\n  - name: fed\n    source_tenants: [a, b]\n    rules: []\n', /group "fed": source_tenants \(federated rule groups\) is not supported/],
};

test('invalid rule files are refused, naming the group and rule, where promtool refuses them', async (t) => {
  for (const [name, [text, re]] of Object.entries(bad)) {
    await t.test(name, () => {
      assert.throws(() => parseRuleFile(text), (err: Error) => err instanceof RuleFormatError && re.test(err.message));
      assert.equal(promtoolAccepts(text), false, 'promtool accepts it');
    });
  }
});
