// Blocks an ingester ships are Prometheus blocks: promtool analyzes them and dumps exactly the
// samples that were pushed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import type { TimeSeries } from '../../pkg/generated/prometheus/types.js';
import { startTestIngester } from '../../pkg/ingester/testing.js';
import { MemoryStore } from '../../pkg/kv/index.js';
import type { SampleDump } from '../../pkg/tsdb/block/block-test-util.js';
import { PROMTOOL, assertSameDump, parseDump } from '../tsdb/promtool.js';

const run = promisify(execFile);

test('shipped blocks pass promtool tsdb analyze and dump what was pushed', async (t) => {
  const bucketDir = mkdtempSync(join(tmpdir(), 'shipped-'));
  t.after(() => rmSync(bucketDir, { recursive: true, force: true }));
  const ti = await startTestIngester({ id: 'ing-1', kv: new MemoryStore(), bucketDir });
  t.after(ti.stop);
  const H = 3600_000;
  const base = Math.floor(Date.now() / (2 * H)) * 2 * H - 2 * H;
  const values = [0, 1.5, -2.25, 1e300, -1e-300, Infinity, -Infinity, 42];
  const series: TimeSeries[] = Array.from({ length: 30 }, (_, i) => ({
    labels: [{ name: '__name__', value: `metric_${i % 3}` }, { name: 'i', value: String(i) }, { name: 'path', value: `/a"b\\c/${i}` }],
    samples: Array.from({ length: 200 }, (_, k) => ({ timestamp: base + k * 60_000 + i, value: values[(i + k) % values.length] * (k + 1) })),
    exemplars: [],
    histograms: [],
  }));
  // As remote write sends them: every series' next samples, a few at a time, in time order.
  for (let k = 0; k < 200; k += 20) {
    const req = { timeseries: series.map((s) => ({ ...s, samples: s.samples.slice(k, k + 20) })), metadata: [] };
    await ti.ing.push('team-a', Buffer.from(WriteRequest.encode(req).finish()));
  }
  const res = await fetch(`${ti.http}/ingester/flush?wait=true`, { method: 'POST' });
  assert.equal(res.status, 204);

  const dir = join(bucketDir, 'team-a');
  const blocks = readdirSync(dir);
  assert.ok(blocks.length >= 2, 'the pushed range spans a block boundary');
  mkdirSync(join(dir, 'wal'));
  for (const b of blocks) {
    const analyze = await run(PROMTOOL, ['tsdb', 'analyze', dir, b]);
    assert.match(analyze.stdout, new RegExp(`Block ID: ${b}`));
  }
  const dump = await run(PROMTOOL, ['tsdb', 'dump', dir], { maxBuffer: 64 << 20 });
  const want: SampleDump = new Map();
  for (const s of series) {
    const text = `{${s.labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
    want.set(text, s.samples.map((x) => [x.timestamp, x.value]));
  }
  assertSameDump(parseDump(dump.stdout), want);
});
