// fast-check generators of remote write data, shared by the 1.0 and 2.0 decoder tests.
import fc from 'fast-check';

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
