import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WriteRequest } from '../generated/prometheus/remote.js';
import { WriteRequestDecoder } from '../wire/index.js';
import { seriesToken } from './shard-token.js';

/** The token as Cortex defines it, over the UTF-16 units of the label strings. */
function referenceToken(tenant: string, pairs: readonly string[], skip: string): number {
  let h = 0x811c9dc5;
  const add = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
  };
  add(tenant);
  for (let k = 0; k < pairs.length; k += 2) {
    if (skip !== '' && pairs[k] === skip) continue;
    add(pairs[k]);
    add(pairs[k + 1]);
  }
  return h >>> 0;
}

test('the token from label bytes equals the token of the label strings', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 8 });
  const d = new WriteRequestDecoder({ labelStrings: false });
  fc.assert(
    fc.property(fc.array(fc.record({ name: fc.oneof(text, fc.constant('replica')), value: text }), { maxLength: 6 }), fc.constantFrom('', 'replica'), (labels, skip) => {
      const buf = Buffer.from(WriteRequest.encode({ timeseries: [{ labels, samples: [], exemplars: [], histograms: [] }], metadata: [] }).finish());
      d.decode(buf);
      const got = seriesToken('tenant-é', d.buf, d.labelRanges, d.labelsStart[0], d.labelsStart[1], skip);
      assert.equal(got, referenceToken('tenant-é', labels.flatMap((l) => [l.name, l.value]), skip));
    }),
    { numRuns: 500 },
  );
});
