import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Labels } from '../model/labels/index.js';
import { MemSeries } from './mem-series.js';
import { SeriesMap } from './series-map.js';

test('series map: every live series is found, every deleted one is not, through growth and deletes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.nat(), { maxLength: 3000 }), fc.nat(), (n, deletes, seed) => {
      const byRef = new Map<number, MemSeries>();
      const m = new SeriesMap((ref) => byRef.get(ref));
      for (let ref = 1; ref <= n; ref++) {
        const s = new MemSeries(ref, Labels.fromPairs(['__name__', `m${(ref * 7 + seed) % 97}`, 'i', String(ref)]));
        byRef.set(ref, s);
        m.add(s);
      }
      for (const d of deletes) {
        const s = byRef.get((d % n) + 1);
        if (s === undefined) continue;
        m.delete(s);
        byRef.delete(s.ref);
      }
      assert.equal(m.size, byRef.size);
      const bytes = Buffer.from('');
      for (let ref = 1; ref <= n; ref++) {
        const ls = Labels.fromPairs(['__name__', `m${(ref * 7 + seed) % 97}`, 'i', String(ref)]);
        assert.equal(m.get(ls), byRef.get(ref), `ref ${ref}`);
      }
      assert.equal(m.getByBytes(0, bytes, new Uint32Array(0), 0, 0), undefined);
    }),
    { numRuns: 40 },
  );
});
