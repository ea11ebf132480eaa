import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels } from '../model/labels/index.js';
import { ValueType, notAHistogram, type SampleIterator, type Series, type SeriesSet } from './interface.js';
import { ChainSampleIterator, mergeSeriesSets } from './merge.js';

class ArrayIterator implements SampleIterator {
  readonly #s: [number, number][];
  #i = -1;
  constructor(s: [number, number][]) {
    this.#s = s;
  }
  next(): ValueType {
    return ++this.#i < this.#s.length ? ValueType.Float : ValueType.None;
  }
  seek(t: number): ValueType {
    if (this.#i < 0) this.#i = 0;
    while (this.#i < this.#s.length && this.#s[this.#i][0] < t) this.#i++;
    return this.#i < this.#s.length ? ValueType.Float : ValueType.None;
  }
  atT(): number {
    return this.#s[this.#i][0];
  }
  atV(): number {
    return this.#s[this.#i][1];
  }
  atHistogram = notAHistogram;
  atFloatHistogram = notAHistogram;
  err(): Error | undefined {
    return undefined;
  }
}

function listSet(series: { labels: Labels; samples: [number, number][] }[]): SeriesSet {
  let i = -1;
  const sorted = [...series].sort((a, b) => Labels.compare(a.labels, b.labels));
  return {
    next: async () => ++i < sorted.length,
    at: (): Series => ({ labels: sorted[i].labels, iterator: () => new ArrayIterator(sorted[i].samples) }),
    err: () => undefined,
    warnings: () => [],
  };
}

async function drain(set: SeriesSet): Promise<[string, [number, number][]][]> {
  const out: [string, [number, number][]][] = [];
  while (await set.next()) {
    const s = set.at();
    const it = s.iterator();
    const samples: [number, number][] = [];
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) samples.push([it.atT(), it.atV()]);
    out.push([s.labels.toString(), samples]);
  }
  return out;
}

const sampleList = fc
  .uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 20 })
  .map((ts) => ts.sort((a, b) => a - b).map((t): [number, number] => [t, t * 10]));
const oneSet = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), samples: sampleList }), {
  selector: (s) => s.name,
  maxLength: 4,
});

test('merged sets equal the brute-force union with one sample per timestamp', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(oneSet, { minLength: 1, maxLength: 4 }), async (sets) => {
      const want = new Map<string, Map<number, number>>();
      for (const set of sets) {
        for (const s of set) {
          const m = want.get(s.name) ?? new Map<number, number>();
          for (const [t, v] of s.samples) if (!m.has(t)) m.set(t, v);
          want.set(s.name, m);
        }
      }
      const expected = [...want.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, m]): [string, [number, number][]] => [Labels.fromRecord({ __name__: n }).toString(), [...m.entries()].sort((x, y) => x[0] - y[0])]);
      const merged = mergeSeriesSets(
        sets.map((set) => listSet(set.map((s) => ({ labels: Labels.fromRecord({ __name__: s.name }), samples: s.samples })))),
      );
      assert.deepEqual(await drain(merged), expected);
    }),
    { numRuns: 200 },
  );
});

test('chain iterator seeks forward across its inputs and never backwards', () => {
  const it = new ChainSampleIterator([
    new ArrayIterator([[1, 1], [5, 5], [9, 9]]),
    new ArrayIterator([[2, 2], [5, 50], [7, 7]]),
  ]);
  assert.equal(it.seek(4), ValueType.Float);
  assert.deepEqual([it.atT(), it.atV()], [5, 5], 'first input wins a shared timestamp');
  assert.equal(it.seek(3), ValueType.Float);
  assert.equal(it.atT(), 5);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 7);
  assert.equal(it.seek(8), ValueType.Float);
  assert.equal(it.atT(), 9);
  assert.equal(it.next(), ValueType.None);
  assert.equal(it.seek(100), ValueType.None);
});
