import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Labels } from '../model/labels/index.js';
import { Engine } from './engine.js';
import { MemoryStorage } from './promqltest/memory-storage.js';
import type { Matrix, Vector } from './value.js';

// Three series, a sample every 15s from 0 to 600s.
function storage(): MemoryStorage {
  const db = new MemoryStorage();
  for (let s = 0; s < 3; s++) {
    const ls = Labels.fromRecord({ __name__: 'm', i: String(s) });
    for (let k = 0; k <= 40; k++) db.append(ls, k * 15_000, k);
  }
  return db;
}

const engine = new Engine();
const perStep = { perStepStats: true };
const sumOf = (m: Matrix): number => m.reduce((n, s) => n + s.fs.reduce((a, b) => a + b, 0), 0);

test('a selector counts one sample per series and step, per step with perStepStats', async () => {
  const res = await engine.rangeQuery(storage(), 'm', 0, 600_000, 60_000, perStep);
  assert.equal(res.stats.samplesRead, 3 * 11);
  assert.deepEqual(Array.from(res.stats.samplesReadPerStep ?? []), new Array(11).fill(3));
  const plain = await engine.rangeQuery(storage(), 'm', 0, 600_000, 60_000);
  assert.equal(plain.stats.samplesReadPerStep, null);
  assert.equal(plain.stats.samplesRead, 3 * 11);
});

test('a function over time counts its windows at each step, streamed or not', async () => {
  // count_over_time's value is the size of its window: the counts are its values.
  const counted = await engine.rangeQuery(storage(), 'count_over_time(m[2m])', 0, 600_000, 60_000, perStep);
  assert.equal(counted.value.type, 'matrix');
  const m = counted.value.type === 'matrix' ? counted.value.matrix : [];
  assert.equal(counted.stats.samplesRead, sumOf(m));
  const perStepSum = (i: number): number => m.reduce((n, s) => n + (s.ts.indexOf(i * 60_000) >= 0 ? s.fs[s.ts.indexOf(i * 60_000)] : 0), 0);
  assert.deepEqual(Array.from(counted.stats.samplesReadPerStep ?? []), Array.from({ length: 11 }, (_, i) => perStepSum(i)));
  // A scalar argument that is not a literal: evaluated step by step, not while streaming.
  const walked = await engine.rangeQuery(storage(), 'quantile_over_time(scalar(vector(0.5)), m[2m])', 0, 600_000, 60_000, perStep);
  assert.equal(walked.stats.samplesRead, counted.stats.samplesRead);
  assert.deepEqual(walked.stats.samplesReadPerStep, counted.stats.samplesReadPerStep);
  const absent = await engine.rangeQuery(storage(), 'absent_over_time(m[2m])', 0, 600_000, 60_000, perStep);
  assert.deepEqual(absent.stats.samplesReadPerStep, counted.stats.samplesReadPerStep);
});

test('a function over a subquery counts the subquery points in its windows, not what the subquery read (as Prometheus)', async () => {
  const res = await engine.instantQuery(storage(), 'max_over_time(m[5m:1m])', 600_000, perStep);
  const count = await engine.instantQuery(storage(), 'count_over_time(m[5m:1m])', 600_000);
  const n = count.value.type === 'vector' ? (count.value.vector as Vector).reduce((a, s) => a + s.f, 0) : NaN;
  assert.equal(n, 3 * 5);
  assert.equal(res.stats.samplesRead, n);
  assert.deepEqual(Array.from(res.stats.samplesReadPerStep ?? []), [n]);
});

test('a subquery as the query counts what its evaluation read; a range selector its points', async () => {
  // The subquery is evaluated at 300s..600s (6 steps); its answer keeps the 5 in (300s, 600s].
  const sub = await engine.instantQuery(storage(), 'm[5m:1m]', 600_000, perStep);
  assert.equal(sub.stats.samplesRead, 3 * 6);
  const range = await engine.instantQuery(storage(), 'm[1m]', 600_000, perStep);
  assert.equal(range.stats.samplesRead, 3 * 4);
});

test('timings and the peak', async () => {
  const res = await engine.rangeQuery(storage(), 'sum(m)', 0, 600_000, 60_000);
  const t = res.stats.timings;
  for (const v of Object.values(t)) assert.ok(v >= 0 && v < 10, JSON.stringify(t));
  assert.ok(t.execTotal >= t.evalTotal && t.evalTotal >= t.innerEval && t.evalTotal >= t.queryPreparation, JSON.stringify(t));
  // 3 × 41 samples loaded, 11 points out.
  assert.equal(res.stats.peakSamples, 3 * 41 + 11);
});
