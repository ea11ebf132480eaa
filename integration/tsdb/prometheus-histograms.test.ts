/**
 * Histogram chunks a real Prometheus 2.42 wrote, read by Myelin: Prometheus
 * (--enable-feature=native-histograms) scrapes a test exporter serving integer, float and gauge
 * native histograms in the protobuf format, with layouts that change over time (buckets appearing
 * above and below, a schema change, a counter reset), then writes its head as a block (admin API
 * snapshot). Every chunk must decode to exactly what the exporter served, and appending the decoded
 * samples of each series, in order, with Myelin's appenders must cut the same chunks with the same
 * bytes, header included (but for the open head chunk's, see below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FloatHistogram, Histogram, Span } from '../../pkg/model/histogram/index.js';
import { CounterResetHint } from '../../pkg/model/histogram/index.js';
import { Matcher, MatchType } from '../../pkg/model/labels/index.js';
import { ValueType } from '../../pkg/storage/index.js';
import { Block, isUlid } from '../../pkg/tsdb/block/index.js';
import { withTempDir } from '../../pkg/tsdb/block/block-test-util.js';
import { CounterResetHeader, Encoding, FloatHistogramChunk, FloatHistogramIterator, HistogramChunk, HistogramIterator, counterResetHeaderOf } from '../../pkg/tsdb/chunkenc/index.js';
import { freePort, TestProcess, waitUntil } from '../../pkg/testutil/index.js';
import { type ExposedHistogram, startExporter } from './histogram-exporter.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const SCRAPES = 26;
const BLOCK_RANGE_MS = 2 * 3_600_000;

/** A histogram from absolute counts by bucket index (all non-zero: Prometheus drops empty buckets). */
function fromCounts(
  float: boolean,
  schema: number,
  zeroThreshold: number,
  zeroCount: number,
  sum: number,
  pos: [number, number][],
  neg: [number, number][] = [],
): Histogram {
  const side = (b: [number, number][]): { spans: Span[]; buckets: number[] } => {
    const spans: Span[] = [];
    const buckets: number[] = [];
    let last = 0;
    let prev = 0;
    for (const [idx, c] of [...b].sort((x, y) => x[0] - y[0])) {
      if (spans.length > 0 && idx === last + 1) spans[spans.length - 1].length++;
      else spans.push({ offset: spans.length === 0 ? idx : idx - last - 1, length: 1 });
      last = idx;
      buckets.push(float ? c : c - prev);
      prev = c;
    }
    return { spans, buckets };
  };
  const p = side(pos);
  const n = side(neg);
  const total = zeroCount + [...pos, ...neg].reduce((a, [, c]) => a + c, 0);
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema,
    zeroThreshold,
    zeroCount,
    count: total,
    sum,
    positiveSpans: p.spans,
    negativeSpans: n.spans,
    positiveBuckets: p.buckets,
    negativeBuckets: n.buckets,
    customValues: [],
  };
}

/** What the exporter serves at scrape n (n beyond SCRAPES repeats the last state, growing a little). */
function exposed(n: number): ExposedHistogram[] {
  // Integer counter: buckets appear above (n=8) and below (n=12), a counter reset (n=16), a
  // schema change (n=20), and a jump that needs wide varbits (n=5).
  const k = Math.min(n, SCRAPES + 100);
  let pos: [number, number][] = [10, 11, 12, 13, 14].map((i) => [i, 1 + k * (i - 8) + (k >= 5 ? 150_000 : 0)]);
  if (k >= 8) pos.push([17, k - 7]);
  if (k >= 12) pos.push([7, k - 11]);
  let schema = 3;
  let zero = 2 * k;
  if (k >= 16) {
    pos = pos.map(([i]) => [i, 1 + (i % 5) + (k - 16) * (i % 3)]);
    zero = k - 16;
  }
  if (k >= 20) schema = 2;
  const int = fromCounts(false, schema, 2 ** -128, zero, 0.25 * k * k, pos);

  // Float counter with negative buckets and a 9-byte zero threshold: a new bucket at n=10, a
  // counter reset at n=18.
  const f = k < 18 ? k : k - 18;
  const fpos: [number, number][] = [[-2, 0.5 + f * 1.25], [-1, 1 + f * 0.75], [1, 2 + f / 3]];
  if (k >= 10 && k < 18) fpos.push([3, 0.125 * (k - 9)]);
  const flt = fromCounts(true, 0, 0.001, 0.5 + f, 10.5 + f * 3.3, fpos, [[0, 1 + f], [2, 0.5 + f * 2]]);

  // Integer gauge: counts go up and down, at n=9 a non-empty bucket goes and another comes, at n=12
  // the schema changes. (From then on only up: Prometheus 2.42 re-encodes the open head chunk of a
  // snapshot with the counter rules, and fails on a decrease.)
  const g = k < 12 ? (k * 7) % 11 : k;
  const gpos: [number, number][] = k < 9 ? [[0, 1 + g], [1, 3], [2, 1 + (k % 3)]] : [[1, 2 + g], [2, 5], [4, k < 12 ? 1 + (k % 4) : k]];
  const gauge = fromCounts(false, k < 12 ? 1 : 0, 0, g, 100 - k, gpos);
  gauge.counterResetHint = CounterResetHint.Gauge;

  return [
    { name: 'hist_int', gauge: false, float: false, h: int },
    { name: 'hist_float', gauge: false, float: true, h: flt as FloatHistogram },
    { name: 'hist_gauge', gauge: true, float: false, h: gauge },
  ];
}

/** Absolute count per bucket index, the layout-independent meaning of a histogram's buckets. */
function bucketCounts(spans: readonly Span[], buckets: readonly number[], deltas: boolean): [number, number][] {
  const out: [number, number][] = [];
  let idx = 0;
  let k = 0;
  let c = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++, k++, idx++) {
      c = deltas ? c + buckets[k] : buckets[k];
      if (c !== 0) out.push([idx, c]);
    }
  }
  return out;
}

function meaning(h: Histogram | FloatHistogram, deltas: boolean): unknown {
  return {
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    count: h.count,
    sum: h.sum,
    positive: bucketCounts(h.positiveSpans, h.positiveBuckets, deltas),
    negative: bucketCounts(h.negativeSpans, h.negativeBuckets, deltas),
  };
}

interface ReadChunk {
  encoding: number;
  bytes: Uint8Array;
}

test('chunks Prometheus 2.42 wrote decode to what it scraped and re-encode to the same bytes', { timeout: 120_000 }, async () => {
  // Prometheus cuts every head chunk at its 2h block boundaries (even UTC hours): scrapes across
  // one would add a chunk the expected headers do not have. The scrapes take ~6s; start after it.
  const toBoundary = BLOCK_RANGE_MS - (Date.now() % BLOCK_RANGE_MS);
  if (toBoundary < 40_000) await new Promise((resolve) => setTimeout(resolve, toBoundary + 1_000));
  await withTempDir(async (dir) => {
    const exporter = await startExporter(exposed);
    const port = await freePort();
    const data = join(dir, 'data');
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 200ms',
        '  scrape_timeout: 200ms',
        'scrape_configs:',
        '  - job_name: exporter',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${exporter.port}']`,
        '',
      ].join('\n'),
    );
    const prom = new TestProcess('prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      '--enable-feature=native-histograms',
      '--web.enable-admin-api',
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    let blockDir: string;
    try {
      await waitUntil(() => exporter.served.length >= SCRAPES * 3, { timeoutMs: 60_000, what: `${SCRAPES} scrapes` });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin/tsdb/snapshot`, { method: 'POST' });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      const name = (JSON.parse(body) as { data: { name: string } }).data.name;
      const snap = join(data, 'snapshots', name);
      const [id] = (await readdir(snap)).filter(isUlid);
      assert.ok(id !== undefined, 'the snapshot holds a block');
      blockDir = join(snap, id);
    } finally {
      await prom.stop();
      exporter.server.close();
    }

    const block = await Block.open(blockDir);
    try {
      const q = await block.chunkQuerier(-Infinity, Infinity);
      const set = q.select(
        { start: -Infinity, end: Infinity, step: 0, func: '', range: 0, sortSeries: true },
        new Matcher(MatchType.Regexp, '__name__', 'hist_.*'),
      );
      const seen = new Set<string>();
      while (await set.next()) {
        const s = set.at();
        const name = s.labels.get('__name__');
        seen.add(name);
        const chunks: ReadChunk[] = [];
        const it = s.chunks();
        while (it.next()) {
          const m = it.at();
          chunks.push({ encoding: m.encoding, bytes: m.bytes.slice() });
        }
        assert.equal(it.err(), undefined);
        checkSeries(name, chunks, exporter.served);
      }
      assert.equal(set.err(), undefined);
      await q.close();
      assert.deepEqual([...seen].sort(), ['hist_float', 'hist_gauge', 'hist_int']);
    } finally {
      await block.close();
    }
  });
});

/** The chunk headers each series must have (the last one's is lost by the snapshot, see below). */
const wantHeaders: Record<string, number[]> = {
  hist_int: [CounterResetHeader.Unknown, CounterResetHeader.CounterReset, CounterResetHeader.Unknown],
  hist_float: [CounterResetHeader.Unknown, CounterResetHeader.Unknown],
  hist_gauge: [CounterResetHeader.Gauge, CounterResetHeader.Unknown],
};

function checkSeries(name: string, chunks: ReadChunk[], served: { t: number; e: ExposedHistogram }[]): void {
  assert.deepEqual(
    chunks.map((c) => counterResetHeaderOf(c.bytes)),
    wantHeaders[name],
    `${name}: chunk headers`,
  );
  const want = new Map(served.filter((x) => x.e.name === name).map((x) => [x.t, x.e]));
  const float = want.values().next().value?.float === true;
  const decoded: [number, Histogram | FloatHistogram][] = [];
  for (const c of chunks) {
    assert.equal(c.encoding, float ? Encoding.FloatHistogram : Encoding.Histogram, `${name}: chunk encoding`);
    const it = float ? new FloatHistogramIterator(c.bytes) : new HistogramIterator(c.bytes);
    while (it.next() !== ValueType.None) decoded.push([it.atT(), float ? it.atFloatHistogram() : it.atHistogram()]);
    assert.equal(it.err(), undefined, `${name}: decoding`);
  }
  assert.ok(decoded.length >= SCRAPES, `${name}: ${decoded.length} samples`);
  for (const [t, h] of decoded) {
    const e = want.get(t);
    assert.ok(e !== undefined, `${name}: sample at ${t} was never served`);
    assert.deepEqual(meaning(h, !float), meaning(e.h, !float), `${name} at ${t}`);
  }
  // Every scrape up to the last one in the block is there.
  const last = decoded[decoded.length - 1][0];
  assert.equal(decoded.length, [...want.keys()].filter((t) => t <= last).length, `${name}: samples in the block`);

  // Re-encoding the samples in order cuts the same chunks, bit for bit.
  const mine: Uint8Array[] = [];
  let cur: HistogramChunk | FloatHistogramChunk = float ? new FloatHistogramChunk() : new HistogramChunk();
  for (const [t, h] of decoded) {
    const r = float ? (cur as FloatHistogramChunk).append(t, h as FloatHistogram) : (cur as HistogramChunk).append(t, h);
    if (r.status === 'cut') {
      mine.push(cur.compact());
      cur = r.chunk;
    } else if (r.status === 'recoded') {
      cur = r.chunk;
    }
  }
  mine.push(cur.compact());
  // The snapshot re-encodes the open head chunk and 2.42 loses its header on the way (it copies
  // it only from a bare chunk, and the head hands out a wrapper): compare that one flag byte as
  // "unknown".
  const theirs = chunks.map((c) => c.bytes);
  mine[mine.length - 1][2] = 0;
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  assert.deepEqual(mine.map(hex), theirs.map(hex), `${name}: re-encoded chunks`);
}
