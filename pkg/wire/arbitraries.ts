// fast-check generators of remote write data, and the malformed-input check, shared by the 1.0
// and 2.0 decoder tests.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from './errors.js';

export const label = fc.record({ name: fc.string({ maxLength: 12 }), value: fc.string({ unit: 'grapheme', maxLength: 20 }) });
export const sample = fc.record({
  value: fc.double(),
  timestamp: fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 42 }), fc.maxSafeInteger(), fc.constant(Number.MIN_SAFE_INTEGER)),
});
export const exemplar = fc.record({ labels: fc.array(label, { maxLength: 2 }), value: fc.double({ noNaN: true }), timestamp: fc.nat() });
const span = fc.record({ offset: fc.integer({ min: -5, max: 5 }), length: fc.nat(4) });
export const histogram = fc.record({
  countInt: fc.nat(),
  sum: fc.double({ noNaN: true }),
  schema: fc.integer({ min: -4, max: 8 }),
  zeroThreshold: fc.constant(0.001),
  zeroCountInt: fc.nat(),
  negativeSpans: fc.array(span, { maxLength: 2 }),
  negativeDeltas: fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 4 }),
  negativeCounts: fc.constant<number[]>([]),
  positiveSpans: fc.array(span, { maxLength: 2 }),
  positiveDeltas: fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 4 }),
  positiveCounts: fc.constant<number[]>([]),
  resetHint: fc.integer({ min: 0, max: 3 }),
  timestamp: fc.nat(),
  customValues: fc.constant<number[]>([]),
});

/**
 * Asserts that `decode` throws nothing but WireError on every prefix of `valid` requests and on
 * random bytes.
 */
export function assertOnlyWireErrors<T>(decode: (buf: Buffer) => unknown, valid: fc.Arbitrary<T>, encode: (req: T) => Buffer): void {
  const only = (buf: Buffer) => {
    try {
      decode(buf);
    } catch (err) {
      assert.ok(err instanceof WireError, String(err));
    }
  };
  fc.assert(fc.property(valid, fc.nat(), (req, cut) => {
    const buf = encode(req);
    only(buf.subarray(0, cut % (buf.length + 1)));
  }), { numRuns: 200 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => only(Buffer.from(bytes))), { numRuns: 300 });
}
