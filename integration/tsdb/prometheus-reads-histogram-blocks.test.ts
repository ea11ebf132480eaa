/**
 * A block Myelin wrote with histogram chunks, read by a real Prometheus 2.42: the block is written
 * into an empty data dir, Prometheus (--enable-feature=native-histograms) opens it, and its query
 * API answers `metric`, `histogram_count(metric)` and `histogram_sum(metric)` with the histograms
 * written, bucket by bucket. `promtool tsdb analyze` reads the block too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FloatHistogram, Histogram } from '../../pkg/model/histogram/index.js';
import { CounterResetHint, toFloatHistogram } from '../../pkg/model/histogram/index.js';
import { Labels } from '../../pkg/model/labels/index.js';
import { ChunkBuilder, listChunkSeriesSet, writeBlock } from '../../pkg/tsdb/block/index.js';
import { withTempDir } from '../../pkg/tsdb/block/block-test-util.js';
import { Encoding } from '../../pkg/tsdb/chunkenc/index.js';
import { freePort, TestProcess, waitUntil } from '../../pkg/testutil/index.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const STEP = 15_000;
const N = 200;

/** Step i of a series: buckets that widen at i=60, a counter reset at i=120 (gauges go up and down). */
function histogramAt(i: number, schema: number, gauge: boolean): Histogram {
  const k = gauge ? (i * 13) % 17 : i < 120 ? i : i - 120;
  const counts = [1 + k, 3 + 2 * k, k, 2];
  if (i >= 60) counts.push(1 + (i % 7 === 0 ? 0 : 1));
  if (!gauge && i >= 60) counts[4] = 1 + (i >= 120 ? k : i - 60);
  const neg = [k, 1];
  return {
    counterResetHint: gauge ? CounterResetHint.Gauge : CounterResetHint.Unknown,
    schema,
    zeroThreshold: 0.001,
    zeroCount: k,
    count: k + counts.reduce((a, b) => a + b, 0) + neg.reduce((a, b) => a + b, 0),
    sum: 0.5 * k + 0.125,
    positiveSpans: i >= 60 ? [{ offset: -1, length: 3 }, { offset: 2, length: 2 }] : [{ offset: -1, length: 3 }, { offset: 2, length: 1 }],
    negativeSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: counts.map((c, j) => (j === 0 ? c : c - counts[j - 1])),
    negativeBuckets: neg.map((c, j) => (j === 0 ? c : c - neg[j - 1])),
    customValues: [],
  };
}

interface Case {
  name: string;
  float: boolean;
  gauge: boolean;
  schema: number;
}

const cases: Case[] = [
  { name: 'myelin_int', float: false, gauge: false, schema: 3 },
  { name: 'myelin_float', float: true, gauge: false, schema: 0 },
  { name: 'myelin_gauge', float: false, gauge: true, schema: -2 },
];

/** [lower, upper, count] of every non-empty bucket, as Prometheus lists them (negative first). */
function expectedBuckets(h: FloatHistogram): [number, number, number][] {
  const base = 2 ** (2 ** -h.schema);
  const side = (spans: FloatHistogram['positiveSpans'], counts: number[], sign: 1 | -1): [number, number, number][] => {
    const out: [number, number, number][] = [];
    let idx = 0;
    let k = 0;
    for (const s of spans) {
      idx += s.offset;
      for (let j = 0; j < s.length; j++, idx++, k++) {
        if (counts[k] === 0) continue;
        const lo = base ** (idx - 1);
        const hi = base ** idx;
        out.push(sign > 0 ? [lo, hi, counts[k]] : [-hi, -lo, counts[k]]);
      }
    }
    return out;
  };
  const neg = side(h.negativeSpans, h.negativeBuckets, -1).reverse();
  const zero: [number, number, number][] = h.zeroCount > 0 ? [[-h.zeroThreshold, h.zeroThreshold, h.zeroCount]] : [];
  return [...neg, ...zero, ...side(h.positiveSpans, h.positiveBuckets, 1)];
}

interface PromHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

async function query(port: number, q: string, t: number): Promise<{ metric: Record<string, string>; value?: [number, string]; histogram?: [number, PromHistogram] }[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}&time=${t / 1000}`);
  const body = (await res.json()) as { status: string; data: { result: [] } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data.result;
}

test('Prometheus 2.42 answers queries from a block Myelin wrote with histogram chunks', { timeout: 120_000 }, async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, 'data');
    await mkdir(data);
    const t0 = Date.now() - 3 * 3600_000;
    const start = t0 - (t0 % STEP);
    const series = cases.map((c) => {
      const b = new ChunkBuilder();
      for (let i = 0; i < N; i++) {
        const h = histogramAt(i, c.schema, c.gauge);
        if (c.float) b.appendFloatHistogram(start + i * STEP, toFloatHistogram(h));
        else b.appendHistogram(start + i * STEP, h);
      }
      const s = b.finish(Labels.fromRecord({ __name__: c.name, job: 'myelin' }));
      assert.ok(s.encodings.every((e) => e === (c.float ? Encoding.FloatHistogram : Encoding.Histogram)));
      return s;
    });
    series.sort((a, b) => Labels.compare(a.labels, b.labels));
    const meta = await writeBlock(data, listChunkSeriesSet(series));
    assert.ok(meta !== undefined);

    const analyze = await promisify(execFile)(PROMTOOL, ['tsdb', 'analyze', data, meta.ulid]);
    assert.match(analyze.stdout, new RegExp(`Block ID: ${meta.ulid}`));
    assert.match(analyze.stdout, /^Series: 3$/m);

    await writeFile(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    const prom = new TestProcess('prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=100y',
      '--enable-feature=native-histograms',
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, { timeoutMs: 30_000, what: 'prometheus ready' });
      for (const c of cases) {
        for (const i of [0, 1, 59, 60, 61, 119, 120, 121, N - 1]) {
          const t = start + i * STEP;
          const want = toFloatHistogram(histogramAt(i, c.schema, c.gauge));
          const what = `${c.name} at step ${i}`;
          const [got] = await query(port, c.name, t);
          assert.ok(got?.histogram !== undefined, `${what}: a histogram (${JSON.stringify(got)})`);
          assert.equal(got.histogram[0], t / 1000, what);
          assert.equal(Number(got.histogram[1].count), want.count, `${what}: count`);
          assert.equal(Number(got.histogram[1].sum), want.sum, `${what}: sum`);
          const buckets = (got.histogram[1].buckets ?? []).map(([, lo, hi, n]) => [Number(lo), Number(hi), Number(n)]);
          const wantBuckets = expectedBuckets(want);
          assert.equal(buckets.length, wantBuckets.length, `${what}: buckets ${JSON.stringify(buckets)}`);
          buckets.forEach(([lo, hi, n], j) => {
            const [wlo, whi, wn] = wantBuckets[j];
            assert.ok(Math.abs(lo - wlo) <= 1e-9 * Math.abs(wlo) && Math.abs(hi - whi) <= 1e-9 * Math.abs(whi), `${what}: bucket ${j} bounds`);
            assert.equal(n, wn, `${what}: bucket ${j} count`);
          });
          const [count] = await query(port, `histogram_count(${c.name})`, t);
          assert.equal(Number(count.value?.[1]), want.count, `${what}: histogram_count`);
          const [sum] = await query(port, `histogram_sum(${c.name})`, t);
          assert.equal(Number(sum.value?.[1]), want.sum, `${what}: histogram_sum`);
        }
      }
    } finally {
      await prom.stop();
    }
  });
});
