import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels, Matcher, MatchType } from '../../model/labels/index.js';
import { MemPostings } from './mem-postings.js';
import { postingsForMatchers } from './postings-for-matchers.js';

const names = ['a', 'b', 'c'];
const values = ['', 'x', 'y', 'xy', 'foo', 'Foo\n'];
const patterns = ['', 'x', 'x|y', '.*', '.+', 'x.*', '.*y', '.*o.*', '(?i)foo.*', 'x|', '[xy]+', 'f(o)+\\n?', 'nope'];

const labelSet = fc
  .array(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...values)), { maxLength: 3 })
  .map((pairs) => Labels.fromPairs(pairs.flat()));
const matcher = fc.oneof(
  fc.tuple(fc.constantFrom(MatchType.Equal, MatchType.NotEqual), fc.constantFrom(...names, 'zz'), fc.constantFrom(...values)),
  fc.tuple(fc.constantFrom(MatchType.Regexp, MatchType.NotRegexp), fc.constantFrom(...names, 'zz'), fc.constantFrom(...patterns)),
).map(([type, name, value]) => new Matcher(type, name, value));

test('postingsForMatchers agrees with a brute-force scan (property)', () => {
  fc.assert(
    fc.property(fc.array(labelSet, { maxLength: 25 }), fc.array(matcher, { minLength: 1, maxLength: 3 }), (sets, ms) => {
      const ix = new MemPostings();
      const byRef = new Map<number, Labels>();
      const seen = new Set<string>();
      let ref = 1;
      for (const ls of sets) {
        if (seen.has(ls.key)) continue;
        seen.add(ls.key);
        byRef.set(ref, ls);
        ix.add(ref++, ls);
      }
      const want = [...byRef].filter(([, ls]) => ms.every((m) => m.matches(ls.get(m.name)))).map(([r]) => r);
      assert.deepEqual(Array.from(postingsForMatchers(ix, ms)), want, ms.map(String).join(','));
    }),
    { numRuns: 400 },
  );
});

test('mem postings forget deleted series', () => {
  const ix = new MemPostings();
  const a = Labels.fromRecord({ job: 'a', i: '1' });
  const b = Labels.fromRecord({ job: 'a', i: '2' });
  ix.add(1, a);
  ix.add(2, b);
  ix.delete(new Map([[1, a]]));
  assert.deepEqual(Array.from(ix.postings('job', ['a'])), [2]);
  assert.deepEqual(ix.labelValues('i'), ['2']);
  assert.deepEqual(Array.from(ix.allPostings()), [2]);
  ix.delete(new Map([[2, b]]));
  assert.deepEqual(ix.labelNames(), []);
});
