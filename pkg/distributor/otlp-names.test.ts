// Metric and label names of OTLP metrics, case by case as Prometheus' OTLP translator names them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelName, metricName, type NameKind } from './otlp-names.js';

test('metric names with unit and type suffixes', async (t) => {
  const cases: Record<string, [name: string, unit: string, kind: NameKind, want: string]> = {
    'dots become underscores, seconds': ['http.server.request.duration', 's', 'other', 'http_server_request_duration_seconds'],
    'counter gets _total': ['requests.count', '1', 'counter', 'requests_count_total'],
    'counter of bytes': ['net.io', 'By', 'counter', 'net_io_bytes_total'],
    'total moved to the end': ['total.requests', '', 'counter', 'requests_total'],
    'gauge of unit 1 is a ratio': ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    'ratio not doubled': ['cache.hit.ratio', '1', 'gauge', 'cache_hit_ratio'],
    'unit already in the name': ['request.duration.seconds', 's', 'other', 'request_duration_seconds'],
    'per unit': ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    'per unit not in the map': ['rate', 'm/x', 'gauge', 'rate_meters_per_x'],
    'annotation units add nothing': ['http.requests', '{request}', 'counter', 'http_requests_total'],
    'an annotated main unit adds nothing, its per unit does': ['packets', '{packet}/s', 'gauge', 'packets_per_second'],
    'unknown unit used as is, cleaned': ['queue.length', 'items-x', 'gauge', 'queue_length_items_x'],
    'runs of invalid characters collapse': ['a..b__c', '', 'gauge', 'a_b_c'],
    'colons are kept': ['ns:metric', '', 'gauge', 'ns:metric'],
    'leading digit gets _': ['2xx.responses', '', 'gauge', '_2xx_responses'],
    'percent': ['disk.used', '%', 'gauge', 'disk_used_percent'],
    'nothing valid left': ['...', '', 'gauge', ''],
  };
  for (const [name, [metric, unit, kind, want]] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(metricName(metric, unit, kind, true), want));
  }
});

test('metric names without suffixes only replace invalid characters', async (t) => {
  const cases: Record<string, [name: string, unit: string, kind: NameKind, want: string]> = {
    'no unit, no _total': ['http.server.request.duration', 's', 'counter', 'http_server_request_duration'],
    'underscores kept as sent': ['a__b', '', 'counter', 'a__b'],
    'runs of invalid characters become one _': ['a.-b', '', 'gauge', 'a_b'],
    'leading digit gets _': ['1st', '', 'gauge', '_1st'],
    'only underscores is no name': ['__', '', 'gauge', ''],
  };
  for (const [name, [metric, unit, kind, want]] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(metricName(metric, unit, kind, false), want));
  }
});

test('label names of attribute keys', async (t) => {
  const cases: Record<string, [key: string, want: string]> = {
    'dots': ['http.method', 'http_method'],
    'runs collapse': ['a..b', 'a_b'],
    'leading double underscore kept': ['__reserved', '__reserved'],
    'reserved name kept': ['__replica__', '__replica__'],
    'trailing runs collapse': ['a__', 'a_'],
    'leading digit gets key_': ['123abc', 'key_123abc'],
    'utf-8 becomes _': ['größe', 'gr_e'],
    'nothing valid': ['...', ''],
  };
  for (const [name, [key, want]] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(labelName(key), want));
  }
});
