import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WriteRequest } from '../generated/prometheus/remote.js';
import type { MetricMetadata, TimeSeries } from '../generated/prometheus/types.js';
import { WireError } from './errors.js';
import { snappyDecode, snappyEncode } from './snappy.js';
import { WriteRequestDecoder } from './write-request-decoder.js';
import { RequestAssembler, rewriteSeriesLabels, withoutSeriesFields } from './write-request-encoder.js';
import { assertOnlyWireErrors, exemplar, histogram, label, sample } from './arbitraries.js';

const series = fc.record({
  labels: fc.array(label, { maxLength: 6 }),
  samples: fc.array(sample, { maxLength: 5 }),
  exemplars: fc.array(exemplar, { maxLength: 2 }),
  histograms: fc.array(histogram, { maxLength: 2 }),
});
const metadata = fc.record({
  type: fc.integer({ min: 0, max: 7 }),
  metricFamilyName: fc.string({ maxLength: 10 }),
  help: fc.string({ maxLength: 30 }),
  unit: fc.string({ maxLength: 5 }),
});
const request = fc.record({ timeseries: fc.array(series, { maxLength: 12 }), metadata: fc.array(metadata, { maxLength: 3 }) });

function encode(req: WriteRequest): Buffer {
  return Buffer.from(WriteRequest.encode(req).finish());
}

/** The decoder's columns as ts-proto objects (histograms taken from the recorded byte ranges). */
function asMessage(d: WriteRequestDecoder): WriteRequest {
  const timeseries: TimeSeries[] = [];
  for (let i = 0; i < d.seriesCount; i++) {
    const labels = [];
    for (let l = d.labelsStart[i]; l < d.labelsStart[i + 1]; l++) labels.push({ name: d.names[l], value: d.values[l] });
    const samples = [];
    for (let s = d.samplesStart[i]; s < d.samplesStart[i + 1]; s++) samples.push({ value: d.v[s], timestamp: d.t[s] });
    const { histograms } = WriteRequest.decode(d.buf.subarray(d.seriesFrom[i], d.seriesTo[i])).timeseries[0];
    assert.equal(d.histograms[i], histograms.length);
    const exemplars = [];
    for (let e = d.exemplarsStart[i]; e < d.exemplarsStart[i + 1]; e++) {
      const pairs = d.exemplarLabelPairs(e, []);
      const labels = [];
      for (let k = 0; k < pairs.length; k += 2) labels.push({ name: pairs[k], value: pairs[k + 1] });
      exemplars.push({ labels, value: d.exemplarV[e], timestamp: d.exemplarT[e] });
      // The recorded range is the whole exemplar field.
      const alone = Buffer.concat([Buffer.from([10, d.exemplarTo[e] - d.exemplarFrom[e]]), d.buf.subarray(d.exemplarFrom[e], d.exemplarTo[e])]);
      if (d.exemplarTo[e] - d.exemplarFrom[e] < 128) assert.deepEqual(WriteRequest.decode(alone).timeseries[0].exemplars[0], exemplars.at(-1));
    }
    timeseries.push({ labels, samples, exemplars, histograms });
  }
  const md: MetricMetadata[] = d.metadata.map((m) => ({ ...m }));
  return { timeseries, metadata: md };
}

test('decodes what ts-proto encodes', () => {
  const d = new WriteRequestDecoder();
  fc.assert(
    fc.property(request, (req) => {
      const buf = encode(req);
      assert.deepEqual(asMessage(d.decode(buf)), WriteRequest.decode(buf));
    }),
    { numRuns: 300 },
  );
});

test('without label strings: byte ranges and labelPairs give the same labels', () => {
  const d = new WriteRequestDecoder({ labelStrings: false });
  const pairs: string[] = [];
  fc.assert(
    fc.property(request, (req) => {
      const buf = encode(req);
      d.decode(buf);
      assert.deepEqual(d.names, []);
      const want = WriteRequest.decode(buf);
      assert.equal(d.seriesCount, want.timeseries.length);
      for (let i = 0; i < d.seriesCount; i++) {
        const labels = want.timeseries[i].labels;
        assert.deepEqual(d.labelPairs(i, pairs), labels.flatMap((l) => [l.name, l.value]));
        for (let l = d.labelsStart[i], k = 0; l < d.labelsStart[i + 1]; l++, k++) {
          const r = d.labelRanges;
          assert.equal(buf.toString('utf8', r[4 * l], r[4 * l + 1]), labels[k].name);
          assert.equal(buf.toString('utf8', r[4 * l + 2], r[4 * l + 3]), labels[k].value);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('reassembled subsets decode to the same series', () => {
  const d = new WriteRequestDecoder();
  fc.assert(
    fc.property(request, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (req, pick) => {
      const buf = encode(req);
      d.decode(buf);
      const a = new RequestAssembler();
      const want: WriteRequest = { timeseries: [], metadata: [] };
      const full = WriteRequest.decode(buf);
      for (let i = 0; i < d.seriesCount; i++) {
        if (!pick[i]) continue;
        a.add(buf, d.seriesFrom[i], d.seriesTo[i]);
        want.timeseries.push(full.timeseries[i]);
      }
      for (let m = 0; m < d.metadata.length; m++) {
        a.add(buf, d.metadataFrom[m], d.metadataTo[m]);
        want.metadata.push(full.metadata[m]);
      }
      assert.deepEqual(WriteRequest.decode(a.finish()), want);
    }),
    { numRuns: 200 },
  );
});

test('RequestAssembler joins a range only to the one it continues in the same buffer', () => {
  const a = Buffer.from('abcdef');
  const b = Buffer.from('ABCDEF');
  const asm = new RequestAssembler();
  asm.add(a, 0, 2);
  asm.add(a, 2, 3);
  asm.add(b, 3, 4);
  asm.add(a, 5, 6);
  asm.add(a, 1, 2);
  assert.equal(asm.size, 6);
  assert.equal(asm.finish().toString(), 'abcDfb');
});

test('rewriteSeriesLabels drops one label and keeps samples and exemplars', () => {
  const d = new WriteRequestDecoder();
  fc.assert(
    fc.property(series, fc.string({ maxLength: 3 }), (s, skip) => {
      const buf = encode({ timeseries: [s], metadata: [] });
      d.decode(buf);
      const out = rewriteSeriesLabels(buf, d.seriesFrom[0], d.seriesTo[0], d.names, d.values, d.labelsStart[0], d.labelsStart[1], skip);
      const got = WriteRequest.decode(out).timeseries[0];
      const orig = WriteRequest.decode(buf).timeseries[0];
      assert.deepEqual(got, { ...orig, labels: orig.labels.filter((l) => l.name !== skip) });
    }),
    { numRuns: 200 },
  );
});

test('withoutSeriesFields drops the chosen exemplars and keeps every other field', () => {
  const d = new WriteRequestDecoder();
  fc.assert(
    fc.property(series, fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }), (s, keep) => {
      const buf = encode({ timeseries: [s], metadata: [] });
      d.decode(buf);
      const drop: number[] = [];
      for (let e = d.exemplarsStart[0]; e < d.exemplarsStart[1]; e++) if (!keep[e]) drop.push(d.exemplarFrom[e], d.exemplarTo[e]);
      const got = WriteRequest.decode(withoutSeriesFields(buf, d.seriesFrom[0], d.seriesTo[0], drop)).timeseries[0];
      const orig = WriteRequest.decode(buf).timeseries[0];
      assert.deepEqual(got, { ...orig, exemplars: orig.exemplars.filter((_, e) => keep[e]) });
    }),
    { numRuns: 200 },
  );
});

test('malformed input throws WireError only', () => {
  const d = new WriteRequestDecoder();
  assertOnlyWireErrors((buf) => d.decode(buf), request, encode);
});

test('named protobuf errors', async (t) => {
  const cases: Record<string, { bytes: number[]; message: RegExp }> = {
    'timeseries as varint': { bytes: [0x08, 0x01], message: /field 1 has wrong wire type 0/ },
    'label name as fixed32': { bytes: [0x0a, 0x07, 0x0a, 0x05, 0x0d, 1, 2, 3, 4], message: /field 1 has wrong wire type 5/ },
    'truncated series': { bytes: [0x0a, 0x10, 0x0a], message: /truncated length-delimited field/ },
    'group wire type': { bytes: [0x13], message: /unsupported wire type 3/ },
    'field zero': { bytes: [0x00], message: /field number 0/ },
    'exemplar value as varint': { bytes: [0x0a, 0x04, 0x1a, 0x02, 0x10, 0x01], message: /field 2 has wrong wire type 0/ },
    'truncated exemplar value': { bytes: [0x0a, 0x04, 0x1a, 0x02, 0x11, 0x01], message: /truncated exemplar value/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.throws(() => new WriteRequestDecoder().decode(Buffer.from(c.bytes)), (err: unknown) => err instanceof WireError && c.message.test(err.message));
    });
  }
});

test('snappy: round trip, bad data and the size limit from the header', () => {
  const data = Buffer.from('x'.repeat(5000));
  assert.deepEqual(snappyDecode(snappyEncode(data), 5000), data);
  assert.throws(() => snappyDecode(snappyEncode(data), 4999), { code: 'too_large', message: /5000 bytes exceeds the limit of 4999/ });
  assert.throws(() => snappyDecode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1e9), { code: 'bad_snappy' });
  assert.throws(() => snappyDecode(Buffer.from('not snappy at all'), 1e6), { code: 'bad_snappy' });
  // A header claiming 4 GiB must be rejected without allocating.
  assert.throws(() => snappyDecode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0]), 100 << 20), { code: 'too_large' });
});

test('strings must be valid UTF-8, as proto3 requires', () => {
  const bad = Buffer.from([0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28]);
  assert.throws(() => new WriteRequestDecoder().decode(bad), { code: 'bad_protobuf', message: /not valid UTF-8/ });
  assert.throws(() => new WriteRequestDecoder({ labelStrings: false }).decode(bad), { code: 'bad_protobuf', message: /not valid UTF-8/ });
  // Name and value both present (the decoder's fast path): a bad name, then a bad value.
  for (const label of [[0x0a, 0x02, 0xc3, 0x28, 0x12, 0x01, 0x61], [0x0a, 0x01, 0x61, 0x12, 0x02, 0xc3, 0x28]]) {
    const req = Buffer.from([0x0a, label.length + 2, 0x0a, label.length, ...label]);
    assert.throws(() => new WriteRequestDecoder({ labelStrings: false }).decode(req), { code: 'bad_protobuf', message: /not valid UTF-8/ });
    assert.throws(() => new WriteRequestDecoder().decode(req), { code: 'bad_protobuf', message: /not valid UTF-8/ });
  }
  const ok = Buffer.from(WriteRequest.encode({ timeseries: [{ labels: [{ name: 'é', value: '日本' }], samples: [], exemplars: [], histograms: [] }], metadata: [] }).finish());
  assert.deepEqual(new WriteRequestDecoder().decode(ok).values, ['日本']);
});

test('labels in any layout: long fields, value before name, a missing or repeated field', () => {
  const long = 'v'.repeat(300);
  const cases: [number[], string, string][] = [
    [[0x0a, 0x01, 0x61, 0x12, 0xac, 0x02, ...Buffer.from(long)], 'a', long],
    [[0x12, 0x01, 0x62, 0x0a, 0x01, 0x61], 'a', 'b'],
    [[0x0a, 0x01, 0x61], 'a', ''],
    [[0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x12, 0x01, 0x63], 'a', 'c'],
  ];
  for (const [label, name, value] of cases) {
    const series = [0x0a, ...varint(label.length), ...label];
    const req = Buffer.from([0x0a, ...varint(series.length), ...series]);
    const d = new WriteRequestDecoder({ labelStrings: false }).decode(req);
    assert.deepEqual(d.labelPairs(0, []), [name, value]);
    assert.deepEqual(new WriteRequestDecoder().decode(req).values, [value]);
  }
});

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}
