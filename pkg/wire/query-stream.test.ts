import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueryStreamResponse } from '../generated/myelin/ingester.js';
import type { TimeSeriesChunk } from '../generated/myelin/ingester.js';
import { Labels } from '../model/labels/index.js';
import { WireError } from './errors.js';
import { QueryStreamReader, QueryStreamWriter } from './query-stream.js';

const labelString = fc.oneof(fc.constantFrom('', 'job', 'instance', '__name__', 'node_cpu_seconds_total'), fc.string({ unit: 'grapheme', maxLength: 12 }));
const timestamp = fc.oneof(fc.constantFrom(0, -1, 1, 127, 128, 1_795_301_000_000, -1_795_301_000_000), fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }));
const series = fc.record({
  labels: fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), labelString, { maxKeys: 6 }),
  chunks: fc.array(fc.record({
    minT: timestamp,
    maxT: timestamp,
    encoding: fc.constantFrom(0, 1, 2, 3),
    bytes: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  }), { maxLength: 4 }),
});
const ids = fc.tuple(fc.constantFrom('', 'ingester-1', 'ïngester'), fc.constantFrom('', 'team-a', 'tenant-ü'));

function generated(id: string, user: string, all: { labels: Record<string, string>; chunks: { minT: number; maxT: number; encoding: number; bytes: Buffer }[] }[]): TimeSeriesChunk[] {
  return all.map((s) => ({
    fromIngesterId: id,
    userId: user,
    labels: Labels.fromRecord(s.labels).pairs().reduce<{ name: string; value: string }[]>((out, x, i, p) => (i % 2 === 0 ? [...out, { name: x, value: p[i + 1] }] : out), []),
    chunks: s.chunks.map((c) => ({ startTimestampMs: c.minT, endTimestampMs: c.maxT, encoding: c.encoding, data: c.bytes })),
  }));
}

test('QueryStreamWriter writes the bytes ts-proto writes for the same message (property)', () => {
  fc.assert(fc.property(ids, fc.array(series, { maxLength: 6 }), ([id, user], all) => {
    const w = new QueryStreamWriter(id, user);
    for (const s of all) w.add(Labels.fromRecord(s.labels), s.chunks);
    assert.equal(w.count, all.length);
    const mine = w.finish();
    const theirs = Buffer.from(QueryStreamResponse.encode({ chunkseries: generated(id, user, all), timeseries: [] }).finish());
    assert.deepEqual(mine, theirs);
    assert.equal(w.count, 0, 'finish starts a new message');
  }), { numRuns: 300 });
});

test('QueryStreamReader reads what ts-proto wrote, across messages of one stream (property)', () => {
  fc.assert(fc.property(ids, fc.array(fc.array(series, { maxLength: 5 }), { minLength: 1, maxLength: 3 }), ([id, user], messages) => {
    const r = new QueryStreamReader();
    for (const all of messages) {
      const chunkseries = generated(id, user, all);
      const got = r.read(Buffer.from(QueryStreamResponse.encode({ chunkseries, timeseries: [] }).finish()));
      assert.equal(got.length, chunkseries.length);
      got.forEach((s, i) => {
        const want = chunkseries[i];
        assert.deepEqual(s.pairs, want.labels.flatMap((l) => [l.name, l.value]));
        assert.deepEqual(s.minTs, want.chunks.map((c) => c.startTimestampMs));
        assert.deepEqual(s.maxTs, want.chunks.map((c) => c.endTimestampMs));
        assert.deepEqual(s.encodings, want.chunks.map((c) => c.encoding));
        assert.deepEqual(s.data.map((d) => Buffer.from(d)), want.chunks.map((c) => Buffer.from(c.data)));
      });
    }
  }), { numRuns: 300 });
});

test('QueryStreamReader refuses a message cut inside a field with a WireError, never anything else', () => {
  const w = new QueryStreamWriter('ingester-1', 'team-a');
  w.add(Labels.fromRecord({ __name__: 'up', job: 'api' }), [{ minT: 1000, maxT: 2000, encoding: 1, bytes: Buffer.from([1, 2, 3, 4]) }]);
  w.add(Labels.fromRecord({ __name__: 'up', job: 'db' }), [{ minT: 1000, maxT: 2000, encoding: 1, bytes: Buffer.from([5, 6]) }]);
  const whole = w.finish();
  let refused = 0;
  for (let cut = 1; cut < whole.length; cut++) {
    try {
      new QueryStreamReader().read(whole.subarray(0, cut));
    } catch (err) {
      assert.ok(err instanceof WireError, `cut at ${cut}: ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > whole.length / 2, `most cuts refused (${refused} of ${whole.length - 1})`);
  assert.throws(() => new QueryStreamReader().read(Buffer.from(QueryStreamResponse.encode({ chunkseries: [], timeseries: [{ labels: [], samples: [], exemplars: [], histograms: [] }] }).finish())),
    /sample series where chunks were asked for/);
});
