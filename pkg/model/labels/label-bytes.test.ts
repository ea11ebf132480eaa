import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { hashLabelBytes, hashLabelPairs, pairsEqualBytes, stringEqualsUtf8, utf16Length } from './label-bytes.js';
import { labelBytesOf } from './testing.js';

const text = fc.string({ unit: 'grapheme', maxLength: 8 });
const pairsArb = fc.array(fc.tuple(text, text), { maxLength: 5 }).map((ps) => ps.flat());

test('the hash of label bytes equals the hash of their strings', () => {
  fc.assert(
    fc.property(pairsArb, (pairs) => {
      const { buf, ranges } = labelBytesOf(pairs);
      const h = hashLabelBytes(buf, ranges, 0, pairs.length / 2);
      assert.equal(h, hashLabelPairs(pairs));
      assert.ok(h >= 0 && h < 2 ** 30);
    }),
    { numRuns: 500 },
  );
  // Separators keep ("ab","c") and ("a","bc") apart.
  assert.notEqual(hashLabelPairs(['ab', 'c']), hashLabelPairs(['a', 'bc']));
});

test('pairsEqualBytes compares strings with UTF-8 bytes exactly', () => {
  fc.assert(
    fc.property(pairsArb, pairsArb, (a, b) => {
      const { buf, ranges } = labelBytesOf(b);
      const same = a.length === b.length && a.every((s, i) => s === b[i]);
      assert.equal(pairsEqualBytes(a, buf, ranges, 0, b.length / 2), same);
    }),
    { numRuns: 500 },
  );
  const { buf, ranges } = labelBytesOf(['é', '日本', '😀', 'x']);
  assert.ok(pairsEqualBytes(['é', '日本', '😀', 'x'], buf, ranges, 0, 2));
  assert.ok(!pairsEqualBytes(['e', '日本', '😀', 'x'], buf, ranges, 0, 2));
  assert.ok(!pairsEqualBytes(['é', '日', '😀', 'x'], buf, ranges, 0, 2));
});

test('a lone surrogate equals no bytes', () => {
  const b = Buffer.from('\ud800', 'utf8'); // encoded as U+FFFD
  assert.ok(!stringEqualsUtf8('\ud800', b, 0, b.length));
  assert.ok(stringEqualsUtf8('\ufffd', b, 0, b.length));
});

test('utf16Length counts as a JS string does', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
      const b = Buffer.from(`x${s}`, 'utf8');
      assert.equal(utf16Length(b, 1, b.length), s.length);
    }),
    { numRuns: 500 },
  );
});
