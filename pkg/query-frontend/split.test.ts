import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignToStep, rangeOf, splitByInterval, splittable } from './split.js';

const h = 3_600_000;
const day = 24 * h;

test('splitByInterval: parts end on the last step before each boundary and keep the step grid', async (t) => {
  const cases: Record<string, { start: number; end: number; step: number; interval: number; want: [number, number][] }> = {
    'within one interval': { start: 10, end: 50, step: 10, interval: day, want: [[10, 50]] },
    'across a day boundary, grid off the boundary': { start: day - 25_000, end: day + 20_000, step: 15_000, interval: day, want: [[day - 25_000, day - 10_000], [day + 5_000, day + 20_000]] },
    'a point exactly on the boundary opens the next part': { start: day - 10_000, end: day + 10_000, step: 10_000, interval: day, want: [[day - 10_000, day - 10_000], [day, day + 10_000]] },
    'three days': { start: 0, end: 2 * day + h, step: h, interval: day, want: [[0, 23 * h], [day, day + 23 * h], [2 * day, 2 * day + h]] },
    'single point': { start: 5, end: 5, step: 1000, interval: day, want: [[5, 5]] },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      const parts = splitByInterval({ start: c.start, end: c.end, step: c.step }, c.interval);
      assert.deepEqual(parts.map((p) => [p.start, p.end]), c.want);
      // Together the parts hold exactly the whole query's points.
      const points = parts.flatMap((p) => Array.from({ length: (p.end - p.start) / p.step + 1 }, (_, i) => p.start + i * p.step));
      assert.deepEqual(points, Array.from({ length: Math.floor((c.end - c.start) / c.step) + 1 }, (_, i) => c.start + i * c.step));
    });
  }
});

test('alignToStep moves start and end down to multiples of the step, before 1970 too', () => {
  assert.deepEqual(alignToStep({ start: 61_000, end: 179_000, step: 60_000 }), { start: 60_000, end: 120_000, step: 60_000 });
  assert.deepEqual(alignToStep({ start: -1_000, end: 0, step: 60_000 }), { start: -60_000, end: 0, step: 60_000 });
});

test('rangeOf: bad or too many points are left to the querier', () => {
  assert.deepEqual(rangeOf({ start: '1', end: '2', step: '1' }), { start: 1000, end: 2000, step: 1000 });
  assert.equal(rangeOf({ start: 'x', end: '2', step: '1' }), undefined);
  assert.equal(rangeOf({ start: '0', end: '20000', step: '1' }), undefined);
  assert.equal(rangeOf({ start: '2', end: '1', step: '1' }), undefined);
  assert.equal(rangeOf({ start: '1', end: '2', step: '0' }), undefined);
});

test('splittable: only @ start() and @ end() keep a query whole', () => {
  assert.equal(splittable('rate(x[5m] @ 1700000000)'), true);
  assert.equal(splittable('x offset 1h'), true);
  assert.equal(splittable('x @ start()'), false);
  assert.equal(splittable('sum(x @ end ( ))'), false);
});
