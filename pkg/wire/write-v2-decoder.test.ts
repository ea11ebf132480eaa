import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Request as RequestV2 } from '../generated/io/prometheus/write/v2/types.js';
import { WriteRequest } from '../generated/prometheus/remote.js';
import { assertOnlyWireErrors, exemplar as anyExemplar, histogram, label, sample as anySample } from './arbitraries.js';
import { WireError } from './errors.js';
import { WriteRequestDecoder } from './write-request-decoder.js';
import { RequestAssembler } from './write-request-encoder.js';
import { WriteV2Decoder } from './write-v2-decoder.js';
import { encodeV2, requestV2, type SeriesV2 } from './testing.js';

// -0 is written as 0 by the generated encoder of the request: leave it out.
const sample = anySample.filter((x) => !Object.is(x.value, -0));
const exemplar = anyExemplar.filter((x) => !Object.is(x.value, -0));
const series: fc.Arbitrary<SeriesV2> = fc.record({
  labels: fc.array(label, { maxLength: 6 }),
  samples: fc.array(sample, { maxLength: 5 }),
  exemplars: fc.array(exemplar, { maxLength: 2 }),
  histograms: fc.array(histogram, { maxLength: 2 }),
  createdTimestamp: fc.nat(),
});

/** `series` as 1.0's generated codec reads them back (its defaults, plain objects). */
function v1(ss: readonly SeriesV2[]): WriteRequest {
  const timeseries = ss.map(({ labels, samples, exemplars, histograms }) => ({ labels, samples, exemplars, histograms }));
  return WriteRequest.decode(WriteRequest.encode({ timeseries, metadata: [] }).finish());
}

/** What the 1.0 pieces of every series of `d` decode to. */
function asV1(d: WriteV2Decoder, skip = '', own?: ReadonlyMap<number, Buffer>): WriteRequest {
  const all = Array.from({ length: d.seriesCount }, (_, i) => i);
  const p = d.v1Pieces(all, d.metadata.map((_, j) => j), skip, own);
  const a = new RequestAssembler();
  for (let k = 0; k < p.bufs.length; k++) a.add(p.bufs[k], p.from[k], p.to[k]);
  return WriteRequest.decode(a.finish());
}

test('2.0 series become the same 1.0 series: labels, samples, exemplars, histograms', () => {
  const d = new WriteV2Decoder();
  const d1 = new WriteRequestDecoder();
  const pairs: string[] = [];
  fc.assert(
    fc.property(fc.array(series, { maxLength: 10 }), (ss) => {
      d.decode(encodeV2(ss));
      assert.equal(d.seriesCount, ss.length);
      assert.equal(d.sampleCount, ss.reduce((n, s) => n + s.samples.length, 0));
      assert.equal(d.exemplarCount, ss.reduce((n, s) => n + s.exemplars.length, 0));
      for (let i = 0; i < ss.length; i++) {
        assert.deepEqual(d.labelPairs(i, pairs), ss[i].labels.flatMap((l) => [l.name, l.value]));
        assert.equal(d.exemplarsStart[i + 1] - d.exemplarsStart[i], ss[i].exemplars.length);
        ss[i].exemplars.forEach((x, k) => {
          const e = d.exemplarsStart[i] + k;
          assert.deepEqual(d.exemplarLabelPairs(e, pairs), x.labels.flatMap((l) => [l.name, l.value]));
          assert.equal(d.exemplarT[e], x.timestamp);
          assert.equal(d.exemplarV[e], x.value);
        });
        assert.equal(d.histograms[i], ss[i].histograms.length);
        assert.equal(d.created[i], ss[i].createdTimestamp);
      }
      // Histograms decode as 1.0's decoder decodes the same messages.
      d1.decode(Buffer.from(WriteRequest.encode(v1(ss)).finish()));
      assert.deepEqual(d.hs, d1.hs);
      assert.deepEqual(d.histogramsStart.subarray(0, ss.length + 1), d1.histogramsStart.subarray(0, ss.length + 1));
      const got = asV1(d);
      assert.deepEqual(got.timeseries, v1(ss).timeseries);
    }),
    { numRuns: 300 },
  );
});

test('the skipped label (HA replica) is left out of the 1.0 series', () => {
  const d = new WriteV2Decoder();
  fc.assert(
    fc.property(series, fc.string({ maxLength: 3 }), (s, skip) => {
      d.decode(encodeV2([s]));
      const want = v1([{ ...s, labels: s.labels.filter((l) => skip === '' || l.name !== skip) }]).timeseries[0];
      assert.deepEqual(asV1(d, skip).timeseries[0], want);
    }),
    { numRuns: 200 },
  );
});

test('v1Series leaves out the chosen exemplars; v1Pieces sends a series given as own bytes as those', () => {
  const d = new WriteV2Decoder();
  fc.assert(
    fc.property(series, fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }), fc.string({ maxLength: 3 }), (s, keep, skip) => {
      d.decode(encodeV2([s, s]));
      const drop: number[] = [];
      for (let e = d.exemplarsStart[0]; e < d.exemplarsStart[1]; e++) if (!keep[e]) drop.push(e);
      const own = d.v1Series(0, drop);
      const want = v1([{ ...s, exemplars: s.exemplars.filter((_, k) => keep[k]) }]).timeseries[0];
      assert.deepEqual(WriteRequest.decode(own).timeseries, [want]);
      const unlabelled = (x: typeof want) => ({ ...x, labels: x.labels.filter((l) => skip === '' || l.name !== skip) });
      // Series 0 comes from `own` (the replica label dropped there too), series 1 is encoded as usual.
      assert.deepEqual(asV1(d, skip, new Map([[0, own]])).timeseries, [unlabelled(want), unlabelled(v1([s]).timeseries[0])]);
    }),
    { numRuns: 200 },
  );
});

test('metadata per series becomes one 1.0 entry per metric family', () => {
  const s = (name: string, type: number, help: string, unit = ''): SeriesV2 => ({
    labels: [{ name: '__name__', value: name }, { name: 'job', value: 'a' }], samples: [{ value: 1, timestamp: 5 }], exemplars: [], histograms: [], metadata: { type, help, unit },
  });
  const d = new WriteV2Decoder().decode(encodeV2([
    s('http_requests_total', 1, 'Requests.'),
    s('http_requests_total', 1, 'Requests.'),
    s('rpc_seconds_bucket', 3, 'RPC latency.', 'seconds'),
    s('rpc_seconds_sum', 3, 'RPC latency.', 'seconds'),
    s('rpc_seconds_count', 3, 'RPC latency.', 'seconds'),
    s('gc_seconds_count', 5, 'GC.'),
    s('temp', 0, ''),
  ]));
  assert.deepEqual(d.metadata, [
    { type: 1, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' },
    { type: 3, metricFamilyName: 'rpc_seconds', help: 'RPC latency.', unit: 'seconds' },
    { type: 5, metricFamilyName: 'gc_seconds', help: 'GC.', unit: '' },
  ]);
  assert.deepEqual(asV1(d).metadata, d.metadata.slice(0, 3));
});

test('invalid symbol references and malformed references: WireError bad_symbol_reference', async (t) => {
  const req = requestV2([{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1 }], exemplars: [], histograms: [], metadata: { type: 1, help: 'h', unit: '' } }]);
  const mutate = (f: (r: RequestV2) => void): Buffer => {
    const r: RequestV2 = structuredClone(req);
    f(r);
    return Buffer.from(RequestV2.encode(r).finish());
  };
  const cases: Record<string, { buf: Buffer; message: RegExp }> = {
    'label ref past the table': { buf: mutate((r) => (r.timeseries[0].labelsRefs[1] = 99)), message: /labels_refs entry 99 of series 0 is not in the symbols table of 4 entries/ },
    'odd number of label refs': { buf: mutate((r) => r.timeseries[0].labelsRefs.push(1)), message: /odd number of labels_refs \(3\)/ },
    'help ref past the table': { buf: mutate((r) => (r.timeseries[0].metadata!.helpRef = 4)), message: /metadata.help_ref 4 of series 0/ },
    'unit ref past the table': { buf: mutate((r) => (r.timeseries[0].metadata!.unitRef = 7)), message: /metadata.unit_ref 7 of series 0/ },
    'exemplar ref past the table': { buf: mutate((r) => r.timeseries[0].exemplars.push({ labelsRefs: [1, 40], value: 1, timestamp: 1 })), message: /exemplar labels_refs entry 40/ },
    'exemplar odd refs': { buf: mutate((r) => r.timeseries[0].exemplars.push({ labelsRefs: [1], value: 1, timestamp: 1 })), message: /exemplar of series 0 has an odd number/ },
    'first symbol not empty': { buf: mutate((r) => (r.symbols[0] = 'x')), message: /first entry of the symbols table must be the empty string/ },
    'no symbols table': { buf: mutate((r) => (r.symbols = [])), message: /not in the symbols table of 0 entries/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.throws(() => new WriteV2Decoder().decode(c.buf), (err: unknown) => err instanceof WireError && err.code === 'bad_symbol_reference' && c.message.test(err.message));
    });
  }
});

test('unpacked label refs decode as packed ones', () => {
  // symbols ['', '__name__', 'up'], one series with refs 1, 2 as two varint fields and one sample.
  const sym = (s: string) => [0x22, s.length, ...Buffer.from(s)];
  const body = [0x08, 1, 0x08, 2, 0x12, 0x0b, 0x09, ...new Uint8Array(new Float64Array([7]).buffer), 0x10, 3];
  const buf = Buffer.from([...sym(''), ...sym('__name__'), ...sym('up'), 0x2a, body.length, ...body]);
  const d = new WriteV2Decoder().decode(buf);
  assert.deepEqual(d.labelPairs(0, []), ['__name__', 'up']);
  assert.deepEqual([d.t[0], d.v[0]], [3, 7]);
});

test('a 1.0 body read as 2.0 decodes empty (the reserved fields), malformed input throws WireError only', () => {
  const v1 = Buffer.from(WriteRequest.encode({ timeseries: [{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestamp: 1 }], exemplars: [], histograms: [] }], metadata: [] }).finish());
  assert.equal(new WriteV2Decoder().decode(v1).seriesCount, 0);
  const d = new WriteV2Decoder();
  assertOnlyWireErrors((buf) => d.decode(buf), fc.array(series, { maxLength: 5 }), encodeV2);
});

test('symbols must be valid UTF-8', () => {
  const buf = Buffer.from([0x22, 0x00, 0x22, 0x02, 0xc3, 0x28]);
  assert.throws(() => new WriteV2Decoder().decode(buf), { code: 'bad_protobuf', message: /symbol 1 is not valid UTF-8/ });
});
