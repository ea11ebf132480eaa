/** Prometheus' FloatHistogram.String(): `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (1,2]:2}`. */
import type { Bucket } from './buckets.js';
import { negativeBuckets, positiveBuckets, zeroBucket } from './buckets.js';
import type { FloatHistogram } from './histogram.js';

/** Go's `%g` of a float64: shortest digits, exponent form below 1e-4 and from 1e6 on. */
export function goG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  // With shortest digits Go switches to %e when the exponent is < -4 or >= 6.
  if (exp < -4 || exp >= 6) {
    const [mant, e] = v.toExponential().split('e');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

function bucketString(b: Bucket): string {
  return `${b.lowerInclusive ? '[' : '('}${goG(b.lower)},${goG(b.upper)}${b.upperInclusive ? ']' : ')'}:${goG(b.count)}`;
}

export function histogramString(h: FloatHistogram): string {
  const parts = [`count:${goG(h.count)}`, `sum:${goG(h.sum)}`];
  for (const b of negativeBuckets(h).reverse()) if (b.count !== 0) parts.push(bucketString(b));
  const z = zeroBucket(h);
  if (z !== null && z.count !== 0) parts.push(bucketString(z));
  for (const b of positiveBuckets(h)) if (b.count !== 0) parts.push(bucketString(b));
  return `{${parts.join(', ')}}`;
}
