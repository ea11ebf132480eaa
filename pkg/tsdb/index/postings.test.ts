import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { insertPosting, intersectPostings, mergePostings, seekIndex, subtractPostings } from './postings.js';

const sortedList = fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 80 }).map((a) => a.sort((x, y) => x - y));
const asTyped = (l: number[], typed: boolean) => (typed ? Uint32Array.from(l) : l);

test('intersect, merge and subtract agree with set arithmetic (property)', () => {
  fc.assert(
    fc.property(fc.array(sortedList, { maxLength: 6 }), fc.boolean(), (lists, typed) => {
      const inputs = lists.map((l) => asTyped(l, typed));
      const sets = lists.map((l) => new Set(l));
      const universe = [...new Set(lists.flat())].sort((a, b) => a - b);
      const wantAnd = lists.length === 0 ? [] : universe.filter((x) => sets.every((s) => s.has(x)));
      assert.deepEqual(Array.from(intersectPostings(inputs)), wantAnd);
      assert.deepEqual(Array.from(mergePostings(inputs)), universe);
      if (lists.length >= 2) {
        const want = lists[0].filter((x) => !sets[1].has(x));
        assert.deepEqual(Array.from(subtractPostings(inputs[0], inputs[1])), want);
      }
    }),
    { numRuns: 300 },
  );
});

test('seekIndex finds the first element not below x (property)', () => {
  fc.assert(
    fc.property(sortedList, fc.integer({ min: -1, max: 310 }), fc.nat(90), (l, x, lo) => {
      const start = Math.min(lo, l.length);
      let want = start;
      while (want < l.length && l[want] < x) want++;
      assert.equal(seekIndex(l, x, start), want);
    }),
    { numRuns: 300 },
  );
});

test('insertPosting keeps lists sorted and distinct', () => {
  const l: number[] = [];
  for (const x of [5, 1, 9, 5, 3, 10, 1]) insertPosting(l, x);
  assert.deepEqual(l, [1, 3, 5, 9, 10]);
});
