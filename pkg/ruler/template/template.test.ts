import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { AlertTemplate, TemplateExecError, TemplateSyntaxError } from './index.js';

const templates: Record<string, string> = {
  plain: 'instance {{ $labels.instance }} of {{ .Labels.job }} is {{ $value }}',
  missingLabel: '[{{ $labels.nope }}]',
  humanize: '{{ humanize $value }} {{ $value | humanize1024 }} {{ humanizePercentage $value }}',
  duration: '{{ humanizeDuration $value }}',
  timestamp: '{{ humanizeTimestamp $value }}',
  printf: '{{ printf "%.2f %.0f %.1e" $value $value $value }}|{{ printf "%g %v %s" $value $value $labels.job }}|{{ printf "%5.1f|%-6s|" $value "ab" }}',
  conditional: '{{ if gt $value 100.0 }}high{{ else if gt $value 1.0 }}mid{{ else }}low{{ end }}',
  range: '{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}',
  with: '{{ with $externalLabels.cluster }}cluster {{ . }}{{ else }}no cluster{{ end }}',
  trim: 'a  {{- " b " -}}  c',
  strings: '{{ toUpper $labels.job }} {{ title "hello wide world" }} {{ reReplaceAll "(\\\\w+):(\\\\d+)" "$1 port $2" $labels.instance }} {{ match "^host" $labels.instance }}',
  compare: '{{ eq $labels.job "api" }} {{ ne $labels.job "api" }} {{ and true $labels.job }} {{ or "" "x" }} {{ not false }} {{ len $labels }}',
  vars: '{{ $x := "one" }}{{ $x }}{{ $x = "two" }}{{ $x }}',
  strip: '{{ stripPort $labels.instance }} {{ index $labels "job" }}',
  define: '{{ define "inst" }}[{{ .instance }}/{{ $.job }}]{{ end }}{{ template "inst" .Labels }} {{ template "inst" $labels }}',
  templateNoDot: '{{ template "later" }}{{ define "later" }}dot={{ . }}{{ end }}',
  block: '{{ block "b" $value }}v={{ printf "%.1f" . }}{{ end }};{{ template "b" 2.0 }}',
  links: '{{ graphLink "rate(x[5m]) > 0" }} {{ tableLink "up{job=\\"a b\\"} == 0" }} {{ slice $labels.instance 0 4 }} {{ slice "abc" 1 }} {{ slice "abc" }}',
  defineRange: '{{ define "kv" }}{{ range $k, $v := . }}{{ $k }}:{{ $v }} {{ end }}{{ end }}{{ with $labels }}{{ template "kv" . }}{{ end }}',
};

const values = [0, 1, 0.5, 12.345, 0.125, 2.5, 1234.5, 1234567, 123456, 1e6, 0.000123, -42.5, 3600 * 25 + 61, 1.5e-7, 1700000000];

const labelsOf = (i: number): Record<string, string> => ({ alertname: 'T', instance: `host-${i}:9100`, job: i % 2 === 0 ? 'api' : 'db', case: String(i) });

test('templates expand as Prometheus 2.42 expands them (promtool test rules agrees)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-tmpl-'));
  try {
    const annotations = Object.fromEntries(Object.entries(templates));
    writeFileSync(join(dir, 'rules.yml'), stringify({ groups: [{ name: 'g', rules: [{ alert: 'T', expr: 'test_value', annotations }] }] }));
    const externalLabels = {};
    const expAlerts = values.map((v, i) => {
      const labels = labelsOf(i);
      const exp: Record<string, string> = {};
      for (const [k, text] of Object.entries(templates)) {
        // Templates see the sample's labels (with __name__), not the alert's.
        const { alertname: _, ...sample } = labels;
        exp[k] = new AlertTemplate(k, text).expand({ labels: { __name__: 'test_value', ...sample }, externalLabels, externalURL: '', value: v });
      }
      return { exp_labels: labels, exp_annotations: exp };
    });
    const series = values.map((v, i) => {
      const { alertname: _, ...l } = labelsOf(i);
      return { series: `test_value{${Object.entries(l).map(([k, x]) => `${k}="${x}"`).join(',')}}`, values: String(v) };
    });
    writeFileSync(join(dir, 'test.yml'), stringify({
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: series, alert_rule_test: [{ eval_time: '0m', alertname: 'T', exp_alerts: expAlerts }] }],
    }));
    try {
      execFileSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    } catch (err) {
      assert.fail(`promtool disagrees:\n${(err as { stdout: string }).stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('templates that do not parse are refused with Go\'s reason', async (t) => {
  const cases: Record<string, [string, RegExp]> = {
    unclosedAction: ['{{ $labels.x ', /unclosed action/],
    unknownFunction: ['{{ nope $value }}', /function "nope" not defined/],
    undefinedVariable: ['{{ $nope }}', /undefined variable "\$nope"/],
    missingEnd: ['{{ if $value }}x', /unexpected EOF/],
    strayEnd: ['x{{ end }}', /unexpected \{\{end\}\}/],
    nestedDefine: ['{{ if true }}{{ define "x" }}y{{ end }}{{ end }}', /unexpected <define> in command/],
    outerVariableInDefine: ['{{ define "x" }}{{ $labels.job }}{{ end }}', /undefined variable "\$labels"/],
    redefined: ['{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}', /multiple definition of template "x"/],
    templateWithoutName: ['{{ template $value }}', /unexpected .* in template clause/],
  };
  for (const [name, [text, re]] of Object.entries(cases)) {
    await t.test(name, () => assert.throws(() => new AlertTemplate(name, text), (err: Error) => err instanceof TemplateSyntaxError && re.test(err.message)));
  }
});

test('a failing execution throws, as Go\'s Execute does', async (t) => {
  const cases: Record<string, [string, RegExp]> = {
    incompatible: ['{{ if gt $value 10 }}x{{ end }}', /incompatible types for comparison/],
    undefinedTemplate: ['{{ template "nope" }}', /template "nope" not defined/],
    endlessRecursion: ['{{ define "loop" }}{{ template "loop" }}{{ end }}{{ template "loop" }}', /exceeded maximum template depth/],
  };
  for (const [name, [text, re]] of Object.entries(cases)) {
    await t.test(name, () => {
      const tmpl = new AlertTemplate(name, text);
      assert.throws(() => tmpl.expand({ labels: {}, externalLabels: {}, externalURL: '', value: 11 }), (err: Error) => err instanceof TemplateExecError && re.test(err.message));
    });
  }
});
