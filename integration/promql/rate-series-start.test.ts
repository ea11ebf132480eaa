/**
 * rate() and increase() over windows that hold a counter's first sample: a real Prometheus 2.42
 * (Debian) and Myelin's engine read the same block, which promtool made from the same samples.
 *
 * Where the counter's extrapolated zero point lies between half a sample interval and 1.1 of one
 * before its first sample, Prometheus before 2.51 extrapolates back to the zero point; Prometheus
 * 2.51 and 3.x (prometheus/prometheus#13725), like Myelin, only half an interval, as they do for
 * any series that starts inside the window (docs/promql.md, "rate() at the start of a series").
 * Everywhere else the two agree. The conformance script functions.test pins the 3.x rule too
 * (`increase(http_requests_total[100m])`, path "/dings").
 */
import { strict as assert } from 'node:assert';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeData } from '../../pkg/api/prometheus/index.js';
import { Labels } from '../../pkg/model/labels/index.js';
import { Engine } from '../../pkg/promql/index.js';
import type { QueryValue } from '../../pkg/promql/index.js';
import { Block, isUlid } from '../../pkg/tsdb/block/index.js';
import { assertSameResult } from './compare-results.js';
import type { Json } from './compare-results.js';
import type { GeneratedSeries } from './dataset.js';
import { PrometheusServer } from './prometheus-server.js';

const T0 = 1_699_999_200_000 + 600_000; // 10 minutes into a 2h block
const scrape = 15_000;

/**
 * Counters rising by 10 every 15s from `first`, scraped 500ms after T0 + k·15s (off every whole
 * second, so window boundaries of 2.x (closed) and 3.x (left-open) select the same samples).
 * Their zero points lie first·1.5 seconds before the first sample.
 */
function counter(zeroPoint: string, first: number): GeneratedSeries {
  const n = 40;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    ts[k] = T0 + 500 + k * scrape;
    vs[k] = first + 10 * k;
  }
  return { labels: Labels.fromRecord({ __name__: 'requests_total', zero_point: zeroPoint }), ts, vs };
}

const series = [
  counter('12s before', 8), // between 7.5s and 16.5s: the engines differ
  counter('45s before', 30), // beyond 1.1 intervals: both stop half an interval before
  counter('3s before', 2), // within half an interval: both stop at the zero point
  counter('at the first sample', 0), // no extrapolation to the left at all
];

let prom: PrometheusServer;
let block: Block;
const engine = new Engine();

before(async () => {
  prom = await PrometheusServer.start(series);
  const blocks = (await readdir(prom.dataDir)).filter(isUlid);
  assert.equal(blocks.length, 1, `promtool made ${blocks.length} blocks`);
  block = await Block.open(join(prom.dataDir, blocks[0]));
});

after(async () => {
  await block?.close();
  await prom?.stop();
});

/** Myelin's answer as its query API encodes it. */
function asJson(v: QueryValue): Json {
  return { status: 'success', data: JSON.parse(encodeData(v)) as unknown };
}

async function instant(query: string, t: number): Promise<{ myelin: Json; prometheus: Json }> {
  return {
    myelin: asJson((await engine.instantQuery(block, query, t)).value),
    prometheus: (await prom.get('/api/v1/query', { query, time: String(t / 1000) })) as Json,
  };
}

async function range(query: string, start: number, end: number): Promise<{ myelin: Json; prometheus: Json }> {
  return {
    myelin: asJson((await engine.rangeQuery(block, query, start, end, 60_000)).value),
    prometheus: (await prom.get('/api/v1/query_range', { query, start: String(start / 1000), end: String(end / 1000), step: '60' })) as Json,
  };
}

/** The single value of an instant query's answer. */
function valueOf(body: Json): number {
  const result = (body.data as { result: Array<{ value: [number, string] }> }).result;
  assert.equal(result.length, 1, JSON.stringify(body));
  return Number(result[0].value[1]);
}

test('zero point 0.5 to 1.1 intervals before the first sample: Myelin extrapolates half an interval, Prometheus 2.42 to the zero point', async () => {
  // At T0+2m the 5m window holds samples 0..7 (0.5s to 105.5s): sampled 105s, increase 70, 14.5s
  // left to the window's end (< 16.5s: extrapolated). The zero point is 105 · 8/70 = 12s before.
  const { myelin, prometheus } = await instant('increase(requests_total{zero_point="12s before"}[5m])', T0 + 120_000);
  const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;
  const mine = valueOf(myelin);
  const theirs = valueOf(prometheus);
  assert.ok(close(mine, (70 * (105 + 7.5 + 14.5)) / 105), `myelin ${mine}`);
  assert.ok(close(theirs, (70 * (105 + 12 + 14.5)) / 105), `prometheus 2.42 ${theirs}`);
});

test('zero point nearer than half an interval, farther than 1.1 or at the first sample: Myelin answers as Prometheus 2.42', async (t) => {
  for (const zeroPoint of series.slice(1).map((s) => s.labels.get('zero_point'))) {
    const selector = `requests_total{zero_point="${zeroPoint}"}[5m]`;
    await t.test(zeroPoint, async () => {
      const i = await instant(`increase(${selector})`, T0 + 120_000);
      assertSameResult(`instant increase(${selector})`, i.myelin, i.prometheus);
      const r = await range(`rate(${selector})`, T0 + 60_000, T0 + 600_000);
      assertSameResult(`range rate(${selector})`, r.myelin, r.prometheus);
    });
  }
});

test('once the window starts less than 1.1 intervals before the first sample, Myelin answers as Prometheus 2.42 for every counter', async () => {
  // From T0+5m on, every 5m window starts at most 0.5s before the first sample (T0+0.5s), or after it.
  const r = await range('rate(requests_total[5m])', T0 + 300_000, T0 + 600_000);
  assertSameResult('range rate(requests_total[5m])', r.myelin, r.prometheus);
  // Before, the counter of the first test differs at every step: its windows start 45s to 4m before its first sample.
  const early = await range('rate(requests_total{zero_point="12s before"}[5m])', T0 + 60_000, T0 + 240_000);
  const points = (body: Json): number[] =>
    (body.data as { result: Array<{ values: Array<[number, string]> }> }).result[0].values.map(([, v]) => Number(v));
  const [mine, theirs] = [points(early.myelin), points(early.prometheus)];
  assert.equal(mine.length, 4);
  assert.equal(theirs.length, 4);
  for (let i = 0; i < mine.length; i++) assert.ok(theirs[i] > mine[i], `step ${i + 1}: prometheus 2.42 ${theirs[i]} > myelin ${mine[i]}`);
});
