import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueType, type SampleIterator } from '../storage/index.js';
import { Encoding, XorChunk } from './chunkenc/index.js';
import { ChunksSampleIterator, type ChunkSnapshot } from './chunks-series.js';

/** A chunk per list of times (value = time / 1000), with the chunks' times as a reader sees them. */
function snapshotOf(...chunks: number[][]): ChunkSnapshot {
  const snap: ChunkSnapshot = { bytes: [], counts: [], minTs: [], maxTs: [], encodings: [] };
  for (const ts of chunks) {
    const c = new XorChunk();
    for (const t of ts) c.append(t, t / 1000);
    snap.bytes.push(c.compact());
    snap.counts.push(ts.length);
    snap.minTs.push(ts[0]);
    snap.maxTs.push(ts[ts.length - 1]);
    snap.encodings.push(Encoding.XOR);
  }
  return snap;
}

/** Replaces chunk `i` by bytes that fail to decode, keeping its times: decoding it sets err(). */
function corrupt(snap: ChunkSnapshot, i: number): ChunkSnapshot {
  snap.bytes[i] = new Uint8Array([0, snap.counts[i]]);
  return snap;
}

function drain(it: SampleIterator, first: ValueType): number[] {
  const out: number[] = [];
  for (let vt = first; vt !== ValueType.None; vt = it.next()) out.push(it.atT());
  assert.equal(it.err(), undefined);
  return out;
}

test('next() from the start reads only the chunks overlapping [mint, maxt]', () => {
  // Chunks 0 and 3 lie wholly outside the range; were they decoded, err() would be set.
  const snap = corrupt(corrupt(snapshotOf([1000, 2000], [3000, 4000, 5000], [6000, 7000], [9000, 10_000]), 0), 3);
  const it = new ChunksSampleIterator();
  it.reset(snap, 2500, 8000);
  assert.deepEqual(drain(it, it.next()), [3000, 4000, 5000, 6000, 7000]);
});

test('seek() jumps over chunks that end before its time without decoding them', () => {
  const snap = corrupt(corrupt(snapshotOf([1000, 2000], [3000, 4000], [5000, 6000], [7000, 8000]), 1), 2);
  const it = new ChunksSampleIterator();
  it.reset(snap, 0, 10_000);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.atT(), 1000);
  assert.deepEqual(drain(it, it.seek(6500)), [7000, 8000]);
});

test('the range clips samples inside the chunks it keeps', () => {
  const it = new ChunksSampleIterator();
  it.reset(snapshotOf([1000, 2000, 3000], [4000, 5000, 6000]), 2000, 4000);
  assert.deepEqual(drain(it, it.next()), [2000, 3000, 4000]);
  it.reset(snapshotOf([1000, 2000, 3000], [4000, 5000, 6000]), 2000, 4000);
  assert.deepEqual(drain(it, it.seek(2500)), [3000, 4000]);
  it.reset(snapshotOf([1000, 2000]), 3000, 4000);
  assert.equal(it.next(), ValueType.None);
});

test('a chunk that fails to decode inside the range is reported', () => {
  const it = new ChunksSampleIterator();
  it.reset(corrupt(snapshotOf([1000, 2000], [3000, 4000]), 1), 0, 5000);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.next(), ValueType.Float);
  assert.equal(it.next(), ValueType.None);
  assert.match(String(it.err()?.message), /read head chunk 1/);
});
