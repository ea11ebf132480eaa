import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValueType } from '../../storage/index.js';
import { XorChunk, XorIterator, xorNumSamples } from './xor.js';
import { StaleNaN, f64, isStaleNaN, u32 } from './float-bits.js';

function fromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0];
}

function bitsOf(v: number): string {
  f64[0] = v;
  return u32[1].toString(16).padStart(8, '0') + u32[0].toString(16).padStart(8, '0');
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Encodes, decodes and checks every sample bit for bit; returns the chunk. */
function roundTrip(ts: number[], vs: number[]): XorChunk {
  const c = new XorChunk();
  for (let i = 0; i < ts.length; i++) c.append(ts[i], vs[i]);
  assert.equal(c.numSamples(), ts.length);
  assert.equal(xorNumSamples(c.bytes()), ts.length);
  const it = c.iterator();
  let i = 0;
  for (let vt = it.next(); vt !== ValueType.None; vt = it.next(), i++) {
    assert.equal(vt, ValueType.Float);
    assert.equal(it.atT(), ts[i], `t at ${i}`);
    assert.equal(bitsOf(it.atV()), bitsOf(vs[i]), `v at ${i}`);
  }
  assert.equal(it.err(), undefined);
  assert.equal(i, ts.length);
  return c;
}

// Go's math.NaN() bits, which promtool writes for "NaN".
const GoNaN = fromBits(0x7ff80000, 0x00000001);

test('encodes a hand-derived vector', () => {
  const c = roundTrip([1000, 2000, 3000], [1, 1, 2]);
  // 00 03 | t0 varint(1000) d0 0f | 1.0 | Δt uvarint(1000) e8 07 | '0' '0' '11' 00001 001011 11111111111
  assert.equal(hex(c.bytes()), '0003d00f3ff0000000000000e8073097ffc0');
});

test('encodes exactly what promtool 2.42 wrote to a block', () => {
  // `promtool tsdb create-blocks-from openmetrics` over these samples (t in ms), chunk data of chunks/000001.
  const ts = [1000, 2000, 3000, 4005, 4010, 9000, 10000, 11000, 12000, 13000, 100000, 1000000, 1000001, 1100500, 7000000];
  const vs = [1, 1, 2, 3.5, -0.25, 1e300, GoNaN, Infinity, -Infinity, -0, 5e-324, 123456.789, 123456.789, 42, 43];
  const want =
    '000fd00f3ff0000000000000e8073097ffe0017605de0c603bff79379c1f60f3f21e44003acf60d59f9e7f21e44003acea04' +
    '000000000000b003612ffff0a7f860020000000000000007c0000000000319f2240fe240c9fbe76c8ffffffffffff2446170' +
    'c4494017648193f7ced93e0000000000b0f8b3000040000000000000';
  assert.equal(hex(roundTrip(ts, vs).bytes()), want);
});

test('round trips edge values and timestamps', async (t) => {
  const cases: Record<string, { ts: number[]; vs: number[] }> = {
    'one sample': { ts: [5], vs: [1] },
    'negative timestamps': { ts: [-1000, -999, 0, 1], vs: [1, 2, 3, 4] },
    'stale NaN bit-exact': { ts: [1, 2, 3, 4], vs: [1, StaleNaN, StaleNaN, 2] },
    'signed zeros': { ts: [1, 2, 3, 4], vs: [0, -0, 0, -0] },
    infinities: { ts: [1, 2, 3], vs: [Infinity, -Infinity, NaN] },
    'tiny values': { ts: [1, 2, 3], vs: [5e-324, -5e-324, 2.2250738585072014e-308] },
    'huge dod both signs': { ts: [0, 1, 2 ** 40, 2 ** 40 + 1, 2 ** 52], vs: [1, 2, 3, 4, 5] },
    'bucket edges': {
      ts: [0, 10, 20 + 8192, 30 + 8192 - 8191 + 8192, 100000, 100001, 100002 + 65536, 100003 + 65536 + 524288],
      vs: [1, 1, 1, 1, 1, 1, 1, 1],
    },
    'max safe timestamp': { ts: [Number.MAX_SAFE_INTEGER - 2, Number.MAX_SAFE_INTEGER], vs: [1, 2] },
    'full window reuse': { ts: [1, 2, 3, 4, 5], vs: [1, 1.5, 1.75, 1.875, 1.9375] },
  };
  for (const [name, tc] of Object.entries(cases)) await t.test(name, () => void roundTrip(tc.ts, tc.vs));
  assert.ok(isStaleNaN(StaleNaN));
  assert.ok(!isStaleNaN(NaN));
});

test('round trips random series (property)', () => {
  const value = fc.oneof(
    fc.double(),
    fc.integer({ min: -1000, max: 1000 }),
    fc.constantFrom(0, -0, NaN, StaleNaN, Infinity, -Infinity),
  );
  const gap = fc.oneof(fc.constant(15000), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2 ** 40 }));
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), fc.array(fc.tuple(gap, value), { minLength: 1, maxLength: 300 }), (t0, steps) => {
      const ts: number[] = [];
      const vs: number[] = [];
      let t = t0;
      for (const [d, v] of steps) {
        t += d;
        ts.push(t);
        vs.push(v);
      }
      roundTrip(ts, vs);
    }),
    { numRuns: 200 },
  );
});

test('seek moves forward only', () => {
  const c = new XorChunk();
  for (let t = 10; t <= 100; t += 10) c.append(t, t / 10);
  const it = new XorIterator(c.bytes());
  assert.equal(it.seek(35), ValueType.Float);
  assert.equal(it.atT(), 40);
  assert.equal(it.seek(20), ValueType.Float);
  assert.equal(it.atT(), 40, 'seek never moves backwards');
  assert.equal(it.seek(100), ValueType.Float);
  assert.equal(it.atV(), 10);
  assert.equal(it.seek(101), ValueType.None);
  assert.equal(it.next(), ValueType.None);
  it.reset(c.bytes());
  assert.equal(it.seek(0), ValueType.Float);
  assert.equal(it.atT(), 10);
});

test('truncated chunks end with an error, never invented samples', () => {
  const c = new XorChunk();
  for (let i = 0; i < 50; i++) c.append(i * 1000 + (i % 3), Math.sin(i));
  const full = c.compact();
  for (let cut = 0; cut < full.length - 1; cut++) {
    const it = new XorIterator(full.subarray(0, cut));
    let n = 0;
    while (it.next() !== ValueType.None) n++;
    assert.ok(n < 50, `cut ${cut}`);
    if (cut > 0) assert.ok(it.err() instanceof Error, `cut ${cut} reports an error`);
  }
});
