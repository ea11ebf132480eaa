// A recording rule over native histograms in a single-process Myelin (the binary): the histograms
// it writes back through the distributor answer exactly as the expression does.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { histogramToWire, snappyEncode } from '../../pkg/wire/index.js';
import { startSingleMyelin } from '../e2e/myelin.js';
import { waitUntil } from '../../pkg/testutil/index.js';

const headers = { 'x-scope-orgid': 'team-h' };

/** An integer histogram sample of schema 1: `n` observations spread over three buckets and the zero bucket. */
function histogramBody(job: string, t: number, n: number): Uint8Array {
  const h = {
    counterResetHint: 0 as const, schema: 1, zeroThreshold: 0.001, zeroCount: n, count: 7 * n, sum: 10.5 * n,
    positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [n, n, 2 * n].map((c, i, a) => c - (i === 0 ? 0 : a[i - 1])),
    negativeSpans: [{ offset: 1, length: 1 }], negativeBuckets: [2 * n], customValues: [],
  };
  const series = { labels: [{ name: '__name__', value: 'latency' }, { name: 'job', value: job }], samples: [], exemplars: [], histograms: [histogramToWire({ t, h, fh: undefined })] };
  return snappyEncode(Buffer.from(WriteRequest.encode({ timeseries: [series], metadata: [] }).finish()));
}

async function query(base: string, q: string, time: number): Promise<string> {
  const res = await fetch(`${base}/prometheus/api/v1/query?${new URLSearchParams({ query: q, time: String(time / 1000) })}`, { headers });
  const body = (await res.json()) as { data: { result: Array<{ histogram?: [number, unknown] }> } };
  return JSON.stringify(body.data.result.map((s) => s.histogram?.[1]));
}

test('a recording rule over native histograms stores histograms equal to its expression\'s', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-ruler-hist-'));
  const m = await startSingleMyelin(dir, [`-ruler-storage.filesystem.dir=${dir}/rules`, '-ruler.poll-interval=1s']);
  t.after(async () => {
    await m.proc.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const t0 = Date.now() - 60_000;
  for (const [job, n] of [['a', 1], ['b', 3]] as const) {
    for (let i = 0; i <= 60; i += 15) {
      const res = await fetch(`${m.base}/api/v1/push`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-protobuf' }, body: histogramBody(job, t0 + i * 1000, n + i) });
      assert.equal(res.status, 200, await res.text());
    }
  }
  const group = 'name: h\ninterval: 1s\nrules:\n  - record: job:latency:sum\n    expr: sum(latency)\n';
  const put = await fetch(`${m.base}/api/v1/rules/ns`, { method: 'POST', headers: { ...headers, 'content-type': 'application/yaml' }, body: group });
  assert.equal(put.status, 202, await put.text());

  // The rule evaluates at its own timestamps: compare at the newest one it wrote.
  let at = 0;
  await waitUntil(async () => {
    const res = await fetch(`${m.base}/prometheus/api/v1/query?${new URLSearchParams({ query: 'timestamp(job:latency:sum)' })}`, { headers });
    const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
    at = Number(body.data.result[0]?.value[1] ?? 0) * 1000;
    return at > 0;
  }, { timeoutMs: 20_000, what: 'the recorded histogram' });
  const recorded = await query(m.base, 'job:latency:sum', at);
  assert.match(recorded, /"buckets"/);
  assert.equal(recorded, await query(m.base, 'sum(latency)', at));
  const rules = (await (await fetch(`${m.base}/prometheus/api/v1/rules`, { headers })).json()) as { data: { groups: Array<{ rules: Array<{ health: string; lastError?: string }> }> } };
  assert.deepEqual(rules.data.groups[0].rules.map((r) => [r.health, r.lastError ?? '']), [['ok', '']]);
});
