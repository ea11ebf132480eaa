import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FloatHistogram, Histogram, Span } from '../../model/histogram/index.js';
import { CounterResetHint, toFloatHistogram } from '../../model/histogram/index.js';
import { ValueType } from '../../storage/index.js';
import { BitReader, BitWriter } from './bstream.js';
import { StaleNaN, isStaleNaN } from './float-bits.js';
import { FloatHistogramChunk, FloatHistogramIterator } from './float-histogram.js';
import { CounterResetHeader, histogramNumSamples } from './histogram-layout.js';
import { HistogramChunk, HistogramIterator } from './histogram.js';
import { putVarbitInt, putVarbitUint, readVarbitInt, readVarbitUint } from './varbit.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function hist(count: number, pos: number[], spans: Span[] = [{ offset: 0, length: pos.length }], extra: Partial<Histogram> = {}): Histogram {
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 1,
    zeroThreshold: 2 ** -128,
    zeroCount: 0,
    count,
    sum: count * 1.5,
    positiveSpans: spans,
    negativeSpans: [],
    positiveBuckets: pos,
    negativeBuckets: [],
    customValues: [],
    ...extra,
  };
}

/** Absolute counts per bucket index, the layout-independent meaning of a histogram's buckets. */
function countsByIndex(spans: readonly Span[], buckets: readonly number[], deltas: boolean): Map<number, number> {
  const m = new Map<number, number>();
  let idx = 0;
  let k = 0;
  let c = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++, k++) {
      c = deltas ? c + buckets[k] : buckets[k];
      if (c !== 0) m.set(idx, c);
      idx++;
    }
  }
  return m;
}

function decodeAll(c: HistogramChunk): [number, Histogram][] {
  const it = new HistogramIterator(c.bytes());
  const out: [number, Histogram][] = [];
  while (it.next() === ValueType.Histogram) out.push([it.atT(), it.atHistogram()]);
  assert.equal(it.err(), undefined);
  return out;
}

function assertSameHistogram(got: Histogram, want: Histogram, what: string): void {
  assert.equal(got.count, want.count, `${what}: count`);
  assert.equal(got.zeroCount, want.zeroCount, `${what}: zero count`);
  assert.equal(got.sum, want.sum, `${what}: sum`);
  assert.equal(got.schema, want.schema, `${what}: schema`);
  assert.equal(got.zeroThreshold, want.zeroThreshold, `${what}: zero threshold`);
  assert.deepEqual(got.customValues, want.customValues, `${what}: custom values`);
  assert.deepEqual(
    countsByIndex(got.positiveSpans, got.positiveBuckets, true),
    countsByIndex(want.positiveSpans, want.positiveBuckets, true),
    `${what}: positive buckets`,
  );
  assert.deepEqual(
    countsByIndex(got.negativeSpans, got.negativeBuckets, true),
    countsByIndex(want.negativeSpans, want.negativeBuckets, true),
    `${what}: negative buckets`,
  );
}

test('varbit integers round-trip at every width boundary and at random', () => {
  const signed = [0, 1, -1, 4, -3, 5, -4, 32, -31, 33, 256, -255, 257, 2048, -2047, 2049, 131072, -131071, 131073];
  signed.push(16777216, -16777215, 16777217, 2 ** 53, -(2 ** 53), 2 ** 40, -(2 ** 40));
  const w = new BitWriter(new Uint8Array(8), 0);
  for (const v of signed) putVarbitInt(w, v);
  for (const v of signed) if (v >= 0) putVarbitUint(w, v);
  const r = new BitReader(w.bytes(), 0);
  for (const v of signed) assert.equal(readVarbitInt(r), v);
  for (const v of signed) if (v >= 0) assert.equal(readVarbitUint(r), v);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -(2 ** 53), max: 2 ** 53 })), (vs) => {
      const w2 = new BitWriter(new Uint8Array(8), 0);
      for (const v of vs) putVarbitInt(w2, v);
      const r2 = new BitReader(w2.bytes(), 0);
      for (const v of vs) assert.equal(readVarbitInt(r2), v);
    }),
  );
});

test('encodes a hand-derived integer histogram chunk', () => {
  const c = new HistogramChunk();
  assert.equal(c.append(1000, hist(3, [1, 0], undefined, { zeroCount: 1, sum: 2.5 })).status, 'appended');
  // 0001 | flags 00 | threshold 2^-128 → 116 | schema '10 001' | 1 span '10 001' | length '10 010' offset '0'
  // | 0 neg spans '0' | t '11110'+12 bits | count '10 011' | zero count '10 001' | sum 64 bits | '10 001' '0'
  assert.equal(hex(c.bytes()), '000100748c6478fa2714004000000000000880');
});

test('integer chunk: samples of one layout round-trip, with deltas of deltas', () => {
  const c = new HistogramChunk();
  const samples: [number, Histogram][] = [];
  let counts = [1, 2, 0, 5];
  for (let i = 0; i < 50; i++) {
    counts = counts.map((x, k) => x + ((i * (k + 1)) % 7));
    const deltas = counts.map((x, k) => (k === 0 ? x : x - counts[k - 1]));
    const total = counts.reduce((a, b) => a + b, 0) + i;
    const h = hist(total, deltas, [{ offset: -2, length: 2 }, { offset: 3, length: 2 }], { zeroCount: i, sum: total * 0.37 });
    const t = 1_700_000_000_000 + i * 15_000 + (i % 3);
    samples.push([t, h]);
    assert.equal(c.append(t, h).status, 'appended');
  }
  assert.equal(histogramNumSamples(c.bytes()), 50);
  const got = decodeAll(c);
  assert.equal(got.length, 50);
  got.forEach(([t, h], i) => {
    assert.equal(t, samples[i][0]);
    assertSameHistogram(h, samples[i][1], `sample ${i}`);
    assert.deepEqual(h.positiveBuckets, samples[i][1].positiveBuckets);
    assert.equal(h.counterResetHint, i === 0 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset);
  });
  // The integer chunk also answers as float histograms (absolute counts).
  const it = c.iterator();
  it.next();
  it.next();
  assert.deepEqual(it.atFloatHistogram(), toFloatHistogram(got[1][1]));
});

test('integer chunk: reopening encoded bytes continues bit for bit', () => {
  const a = new HistogramChunk();
  const b0 = new HistogramChunk();
  for (let i = 0; i < 10; i++) {
    a.append(i * 1000, hist(i * 3, [i, i * 2]));
    b0.append(i * 1000, hist(i * 3, [i, i * 2]));
  }
  const b = HistogramChunk.open(b0.compact());
  for (let i = 10; i < 20; i++) {
    a.append(i * 1000, hist(i * 3, [i, i * 2]));
    assert.equal(b.append(i * 1000, hist(i * 3, [i, i * 2])).status, 'appended');
  }
  assert.equal(hex(b.bytes()), hex(a.bytes()));
});

interface Case {
  first: Histogram;
  next: Histogram;
  status: 'appended' | 'recoded' | 'cut';
  reason?: string;
  header?: CounterResetHeader;
}

const gauge = { counterResetHint: CounterResetHint.Gauge } as const;

const cases: Record<string, Case> = {
  'same buckets, counts up': { first: hist(3, [1, 1]), next: hist(5, [2, 1]), status: 'appended' },
  'new bucket in front: recode (forward insert)': {
    first: hist(3, [1, 1], [{ offset: 1, length: 2 }]),
    next: hist(6, [1, 1, 1], [{ offset: 0, length: 3 }]),
    status: 'recoded',
  },
  'empty bucket dropped: backward insert': {
    first: hist(3, [3, -3], [{ offset: 0, length: 2 }]),
    next: hist(4, [4], [{ offset: 0, length: 1 }]),
    status: 'appended',
  },
  'both ways at once': {
    first: hist(3, [3, -3], [{ offset: 0, length: 2 }]),
    next: hist(5, [4, -3], [{ offset: 0, length: 1 }, { offset: 1, length: 1 }]),
    status: 'recoded',
  },
  'non-empty bucket dropped: counter reset': {
    first: hist(3, [1, 1]),
    next: hist(4, [4], [{ offset: 0, length: 1 }]),
    status: 'cut',
    reason: 'counter-reset',
    header: CounterResetHeader.CounterReset,
  },
  'a bucket fell: counter reset': { first: hist(3, [1, 1]), next: hist(4, [0, 4]), status: 'cut', reason: 'counter-reset', header: CounterResetHeader.CounterReset },
  'count fell: counter reset': { first: hist(9, [1, 1]), next: hist(4, [1, 1]), status: 'cut', reason: 'counter-reset', header: CounterResetHeader.CounterReset },
  'zero count fell: counter reset': {
    first: hist(9, [1, 1], undefined, { zeroCount: 5 }),
    next: hist(9, [1, 1], undefined, { zeroCount: 4 }),
    status: 'cut',
    reason: 'counter-reset',
    header: CounterResetHeader.CounterReset,
  },
  'hint says counter reset': {
    first: hist(3, [1, 1]),
    next: hist(5, [2, 1], undefined, { counterResetHint: CounterResetHint.CounterReset }),
    status: 'cut',
    reason: 'counter-reset',
    header: CounterResetHeader.CounterReset,
  },
  'schema change': { first: hist(3, [1, 1]), next: hist(5, [2, 1], undefined, { schema: 0 }), status: 'cut', reason: 'layout', header: CounterResetHeader.Unknown },
  'zero threshold change': {
    first: hist(3, [1, 1]),
    next: hist(5, [2, 1], undefined, { zeroThreshold: 0.001 }),
    status: 'cut',
    reason: 'layout',
    header: CounterResetHeader.Unknown,
  },
  'custom bounds change': {
    first: hist(3, [1, 1], undefined, { schema: -53, customValues: [0.1, 1] }),
    next: hist(5, [2, 1], undefined, { schema: -53, customValues: [0.1, 2] }),
    status: 'cut',
    reason: 'counter-reset',
    header: CounterResetHeader.CounterReset,
  },
  'counter after gauge': { first: hist(3, [1, 1], undefined, gauge), next: hist(5, [2, 1]), status: 'cut', reason: 'kind', header: CounterResetHeader.NotCounterReset },
  'gauge after counter': { first: hist(3, [1, 1]), next: hist(5, [2, 1], undefined, gauge), status: 'cut', reason: 'kind', header: CounterResetHeader.Gauge },
  'gauge going down': { first: hist(9, [4, 1], undefined, gauge), next: hist(2, [1, 0], undefined, gauge), status: 'appended' },
  'gauge drops a non-empty bucket and gains one': {
    first: hist(9, [4, 1], [{ offset: 0, length: 2 }], gauge),
    next: hist(2, [1, 0], [{ offset: 1, length: 2 }], gauge),
    status: 'recoded',
  },
  'gauge schema change': {
    first: hist(9, [4, 1], undefined, gauge),
    next: hist(2, [1, 0], undefined, { ...gauge, schema: 2 }),
    status: 'cut',
    reason: 'layout',
    header: CounterResetHeader.Gauge,
  },
  'after a staleness marker': {
    first: hist(0, [], [], { sum: StaleNaN }),
    next: hist(5, [2, 1]),
    status: 'cut',
    reason: 'layout',
    header: CounterResetHeader.Unknown,
  },
};

test('integer chunk append rules', async (t) => {
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const c = new HistogramChunk();
      c.append(1000, tc.first);
      c.append(2000, tc.first);
      const r = c.append(3000, tc.next);
      assert.equal(r.status, tc.status);
      const holder = r.status === 'appended' ? c : r.chunk;
      if (r.status === 'cut') {
        assert.equal(r.reason, tc.reason);
        assert.equal(r.chunk.header, tc.header);
        assert.equal(r.chunk.numSamples(), 1);
        assertSameHistogram(decodeAll(r.chunk)[0][1], tc.next, 'cut sample');
        assert.equal(decodeAll(c).length, 2);
        return;
      }
      const got = decodeAll(holder);
      assert.deepEqual(
        got.map(([ts]) => ts),
        [1000, 2000, 3000],
      );
      if (!isStaleNaN(tc.first.sum)) {
        assertSameHistogram(got[0][1], tc.first, 'first');
        assertSameHistogram(got[1][1], tc.first, 'second');
      }
      assertSameHistogram(got[2][1], tc.next, 'appended');
      // Recoding keeps the chunk's header.
      assert.equal(holder.header, c.header);
    });
  }
});

test('a new chunk after a given previous one says whether a counter reset lies between', () => {
  const prev = new HistogramChunk();
  prev.append(1000, hist(5, [2, 1]));
  const next = new HistogramChunk();
  next.append(2000, hist(7, [3, 1]), prev);
  assert.equal(next.header, CounterResetHeader.NotCounterReset);
  const reset = new HistogramChunk();
  reset.append(2000, hist(1, [1, 0]), prev);
  assert.equal(reset.header, CounterResetHeader.CounterReset);
  const first = new HistogramChunk();
  first.append(2000, hist(1, [1, 0]));
  assert.equal(first.header, CounterResetHeader.Unknown);
});

test('staleness markers and custom bounds round-trip', () => {
  const c = new HistogramChunk();
  const nhcb = hist(6, [1, 2, -1], undefined, { schema: -53, customValues: [0.005, 0.25, 1e6 + 0.5], zeroThreshold: 0 });
  c.append(1000, nhcb);
  assert.equal(c.append(2000, hist(0, [], [], { sum: StaleNaN })).status, 'appended');
  const got = decodeAll(c);
  assertSameHistogram(got[0][1], nhcb, 'nhcb');
  assert.ok(isStaleNaN(got[1][1].sum));
  assert.equal(got[1][1].count, 0);
});

test('truncated and corrupt chunks end iteration with an error, never throw', () => {
  const c = new HistogramChunk();
  for (let i = 0; i < 5; i++) c.append(i * 1000, hist(i * 3, [i, i * 2]));
  const bytes = c.compact();
  for (let n = 1; n < bytes.length; n++) {
    const it = new HistogramIterator(bytes.subarray(0, n));
    let read = 0;
    while (it.next() !== ValueType.None) read++;
    assert.ok(read < 5 || n === bytes.length, `prefix of ${n} bytes read ${read} samples`);
    if (read < 5) assert.match(String(it.err()?.message), /histogram chunk/);
  }
  const bad = bytes.slice();
  bad[4] = 0xff; // the schema's varbit prefix now says 64 bits follow: garbage
  const it = new HistogramIterator(bad);
  assert.equal(it.next(), ValueType.None);
  assert.match(String(it.err()?.message), /schema/);
});

function fhist(count: number, pos: number[], spans: Span[] = [{ offset: 0, length: pos.length }], extra: Partial<FloatHistogram> = {}): FloatHistogram {
  return { ...hist(count, [], spans, {}), positiveBuckets: pos, ...extra } as FloatHistogram;
}

test('float chunk: round trip, recode, cut', () => {
  const c = new FloatHistogramChunk();
  const a = fhist(3.5, [1.5, 2], [{ offset: 1, length: 2 }]);
  const b = fhist(4.25, [1.5, 2.75], [{ offset: 1, length: 2 }], { zeroCount: 0.5 });
  assert.equal(c.append(1000, a).status, 'appended');
  assert.equal(c.append(2000, b).status, 'appended');
  const wider = fhist(6, [0.25, 1.5, 3, 1.25], [{ offset: 0, length: 4 }], { zeroCount: 0.5 });
  const r = c.append(3000, wider);
  assert.equal(r.status, 'recoded');
  const holder = r.status === 'recoded' ? r.chunk : c;
  const it = new FloatHistogramIterator(holder.bytes());
  const got: FloatHistogram[] = [];
  while (it.next() === ValueType.FloatHistogram) got.push(it.atFloatHistogram());
  assert.equal(it.err(), undefined);
  assert.equal(got.length, 3);
  assert.deepEqual(got[0].positiveBuckets, [0, 1.5, 2, 0]);
  assert.deepEqual(got[1].positiveBuckets, [0, 1.5, 2.75, 0]);
  assert.equal(got[1].zeroCount, 0.5);
  assert.deepEqual(got[2].positiveBuckets, [0.25, 1.5, 3, 1.25]);
  const cut = holder.append(4000, fhist(1, [0, 0.5, 0.5, 0], [{ offset: 0, length: 4 }]));
  assert.equal(cut.status, 'cut');
  if (cut.status === 'cut') assert.equal(cut.chunk.header, CounterResetHeader.CounterReset);
  const schema = holder.append(4000, fhist(7, [0.25, 1.5, 3, 1.25], [{ offset: 0, length: 4 }], { schema: 3 }));
  assert.equal(schema.status, 'cut');
  if (schema.status === 'cut') assert.equal(schema.chunk.header, CounterResetHeader.Unknown);
  const reopened = FloatHistogramChunk.open(holder.compact());
  assert.equal(hex(reopened.bytes()), hex(holder.bytes()));
});

test('float chunk: first sample bits', () => {
  const c = new FloatHistogramChunk();
  c.append(-5, fhist(1, [1], [{ offset: 0, length: 1 }], { zeroThreshold: 0, schema: 0, sum: 1 }));
  // 0001 00 | threshold 00 | schema '0' | 1 span '10001' len '10001' off '0' | 0 neg '0' | t -5 '110' + 6 bits
  // | count, zero count, sum, bucket: 64 bits each
  const bits =
    '0' + '10001' + '10001' + '0' + '0' + '110' + '111011' +
    [1, 0, 1, 1].map((v) => (v === 0 ? '0'.repeat(64) : '0011111111110000' + '0'.repeat(48))).join('');
  const padded = bits + '0'.repeat((8 - (bits.length % 8)) % 8);
  const body = Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  assert.equal(hex(c.bytes()), '0001' + '00' + '00' + body.toString('hex'));
});
