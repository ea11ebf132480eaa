import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels } from './labels.js';
import { compareUtf8 } from './validate.js';

test('compareUtf8 orders as bytes do', () => {
  const pick = fc.constantFrom('a', 'z', '\u00e9', '\uffff', '\ue000', '\u{10000}', '\u{1f600}', '\ud7ff');
  fc.assert(
    fc.property(fc.array(pick, { maxLength: 4 }), fc.array(pick, { maxLength: 4 }), (xa, ya) => {
      const x = xa.join('');
      const y = ya.join('');
      assert.equal(Math.sign(compareUtf8(x, y)), Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))));
    }),
    { numRuns: 300 },
  );
});

test('labels compare by UTF-8 bytes, as Go does', () => {
  const a = Labels.fromRecord({ a: '\uffff' });
  const b = Labels.fromRecord({ a: '\u{1f600}' });
  assert.ok(Labels.compare(a, b) < 0);
});
