// Reading `promtool tsdb dump` output, for tests that check blocks with Prometheus' own tool.
import assert from 'node:assert/strict';
import type { SampleDump } from '../../pkg/tsdb/block/block-test-util.js';

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

function parseGoFloat(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** Parses `promtool tsdb dump` output: `{labels} value timestamp` per line. */
export function parseDump(text: string): SampleDump {
  const out: SampleDump = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(\{.*\}) (\S+) (-?\d+)$/.exec(line);
    assert.ok(m !== null, `unexpected dump line ${JSON.stringify(line)}`);
    let list = out.get(m[1]);
    if (list === undefined) out.set(m[1], (list = []));
    list.push([Number(m[3]), parseGoFloat(m[2])]);
  }
  return out;
}

/** Compares dumps so that -0 and 0 count as equal (promtool prints both as 0) and NaN equals NaN. */
export function assertSameDump(got: SampleDump, want: SampleDump): void {
  const norm = (d: SampleDump): [string, [number, number | string][]][] =>
    [...d].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.map(([t, x]) => [t, Number.isNaN(x) ? 'NaN' : x === 0 ? 0 : x])]);
  assert.deepEqual(norm(got), norm(want));
}
