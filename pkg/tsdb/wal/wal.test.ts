import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { compareStrings, Labels } from '../../model/labels/index.js';
import { RecordDecodeError, RecordDecoder, RecordEncoder, SampleColumns } from './records.js';
import { SegmentReader } from './reader.js';
import { repairWal } from './repair.js';
import { PageSize, listSegments } from './segments.js';
import { FillingDisk } from './testing.js';
import { FsyncPolicy, Wal, WalWriteError } from './wal.js';
import { waitUntil } from '../../testutil/index.js';

function record(i: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let k = 0; k < len; k++) b[k] = (i * 31 + k * 7) & 0xff;
  b[0] = i & 0xff;
  return b;
}

function readAll(dir: string): { recs: Uint8Array[]; corrupt: boolean } {
  const r = new SegmentReader(listSegments(dir));
  const recs: Uint8Array[] = [];
  for (let rec = r.next(); rec !== undefined; rec = r.next()) recs.push(new Uint8Array(rec));
  return { recs, corrupt: r.corruption() !== undefined };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-wal-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('records of every size round trip across pages and segments', () =>
  withDir(async (dir) => {
    const w = await Wal.open(dir, { segmentSize: 4 * PageSize, fsync: FsyncPolicy.Batch }, new Registry());
    const sizes = [1, 5, PageSize - 7, PageSize - 8, PageSize, 3 * PageSize + 11, 100, 1, 20000, 2];
    const want = sizes.map((n, i) => record(i, n));
    await Promise.all(want.map((r) => w.log(r)));
    await w.nextSegment();
    await w.log(record(99, 10));
    want.push(record(99, 10));
    await w.close();
    assert.ok(listSegments(dir).length > 2, 'rotated');
    const got = readAll(dir);
    assert.equal(got.corrupt, false);
    assert.deepEqual(got.recs, want);
  }));

test('a torn or corrupt tail keeps exactly the valid prefix', () =>
  withDir(async (dir) => {
    const w = await Wal.open(dir, { fsync: FsyncPolicy.None });
    const recs = [record(1, 30), record(2, PageSize + 50), record(3, 300), record(4, 9), record(5, 40)];
    const ends: number[] = [];
    for (const r of recs) {
      await w.log(r);
      ends.push((await stat(join(dir, '00000000'))).size);
    }
    await w.close();
    const path = join(dir, '00000000');
    const full = await readFile(path);
    const from = ends[1] - 20; // every offset through the last three records
    for (let cut = from; cut < full.length; cut++) {
      await writeFile(path, full.subarray(0, cut));
      const got = readAll(dir);
      const complete = ends.filter((e) => e <= cut).length;
      assert.deepEqual(got.recs, recs.slice(0, complete), `cut at ${cut}`);
      assert.equal(got.corrupt, !ends.includes(cut) && cut !== 0, `corruption reported for cut at ${cut}`);
    }
    for (let pos = from; pos < full.length; pos += 7) {
      const bad = Buffer.from(full);
      bad[pos] ^= 0x40;
      await writeFile(path, bad);
      const got = readAll(dir);
      assert.ok(got.corrupt, `flip at ${pos} detected`);
      for (let i = 0; i < got.recs.length; i++) assert.deepEqual(got.recs[i], recs[i], `flip at ${pos}, record ${i}`);
    }
  }));

test('repair truncates to the valid prefix and drops later segments', () =>
  withDir(async (dir) => {
    const w = await Wal.open(dir, { fsync: FsyncPolicy.None });
    await w.log(record(1, 100), record(2, 100));
    await w.nextSegment();
    await w.log(record(3, 100));
    await w.close();
    const first = join(dir, '00000000');
    await truncate(first, (await stat(first)).size - 3);
    const r = new SegmentReader(listSegments(dir));
    while (r.next() !== undefined);
    const c = r.corruption();
    assert.ok(c !== undefined);
    assert.deepEqual(await repairWal(dir, c), { removedSegments: [1] });
    assert.deepEqual(readAll(dir), { recs: [record(1, 100)], corrupt: false });
    const w2 = await Wal.open(dir, { fsync: FsyncPolicy.None });
    assert.equal(w2.segment, 1, 'writing resumes in a fresh segment');
    await w2.log(record(4, 5));
    await w2.close();
    assert.deepEqual(readAll(dir).recs, [record(1, 100), record(4, 5)]);
  }));

test('fsync policies: batch syncs before resolving, interval syncs in the background', () =>
  withDir(async (dir) => {
    const count = async (reg: Registry, name: string) => Number(new RegExp(`${name} (\\d+)`).exec(await reg.metrics())?.[1] ?? 0);
    const fsyncs = (reg: Registry) => count(reg, 'myelin_tsdb_wal_fsync_duration_seconds_count');
    const regBatch = new Registry();
    const wb = await Wal.open(join(dir, 'batch'), { fsync: FsyncPolicy.Batch }, regBatch);
    await Promise.all([wb.log(record(1, 10)), wb.log(record(2, 10)), wb.log(record(3, 10))]);
    await wb.log(record(4, 10));
    const writes = await count(regBatch, 'myelin_tsdb_wal_writes_total');
    assert.ok(writes >= 2 && writes <= 4, `${writes} writes`);
    assert.equal(await fsyncs(regBatch), writes, 'one fsync per write group');
    await wb.close();

    const regNone = new Registry();
    const wn = await Wal.open(join(dir, 'none'), { fsync: FsyncPolicy.None }, regNone);
    await wn.log(record(1, 10));
    await wn.close();
    assert.equal(await fsyncs(regNone), 0);

    const regInt = new Registry();
    const wi = await Wal.open(join(dir, 'interval'), { fsync: FsyncPolicy.Interval, fsyncIntervalMs: 5 }, regInt);
    await wi.log(record(1, 10));
    await waitUntil(async () => (await fsyncs(regInt)) >= 1, { what: 'an interval fsync', timeoutMs: 2000, intervalMs: 5 });
    await wi.close();
  }));

test('series and samples records round trip (any label text, any value bits)', () => {
  const enc = new RecordEncoder();
  const dec = new RecordDecoder();
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.string({ minLength: 120, maxLength: 300 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.uniqueArray(text, { minLength: 1, maxLength: 4 }), text), { maxLength: 5 }), (series) => {
      const labels = series.map(([, names, value]) => Labels.fromPairs([...names].sort(compareStrings).flatMap((n) => [n, value])));
      const rec = enc.series(series.map(([ref]) => ref), labels);
      const got: [number, Labels][] = [];
      dec.series(rec, (ref, ls) => got.push([ref, ls]));
      assert.deepEqual(got.map(([ref, ls]) => [ref, ls.pairs()]), series.map(([ref], i) => [ref, labels[i].pairs()]));
    }),
    { numRuns: 300 },
  );
});

test('samples records round trip, and a truncated one is an error', () => {
  const enc = new RecordEncoder();
  const dec = new RecordDecoder();
  const cols = new SampleColumns();
  const ts = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), ts, fc.double()), { minLength: 1, maxLength: 2000 }), (rows) => {
      const vs = Float64Array.from(rows.map((r) => r[2]));
      const rec = enc.samples(rows.map((r) => r[0]), rows.map((r) => r[1]), vs, rows.length);
      dec.samples(rec, cols);
      assert.equal(cols.length, rows.length);
      const bits = new Uint32Array(vs.buffer);
      for (let i = 0; i < rows.length; i++) {
        assert.equal(cols.refs[i], rows[i][0]);
        assert.equal(cols.ts[i], rows[i][1]);
        assert.equal(cols.vhi[i], bits[2 * i + 1]);
        assert.equal(cols.vlo[i], bits[2 * i]);
      }
      assert.throws(() => dec.samples(rec.subarray(0, rec.length - 1), cols), RecordDecodeError);
    }),
    { numRuns: 200 },
  );
});

test('after a failed write (disk full) the WAL refuses writes, then resumes where the last good write ended', () =>
  withDir(async (dir) => {
    const disk = new FillingDisk();
    const reg = new Registry();
    const w = await Wal.open(dir, { segmentSize: 4 * PageSize, fsync: FsyncPolicy.Batch, retryIntervalMs: 3_600_000, openFile: disk.openFile }, reg);
    const want = [record(1, 5000), record(2, 40000)];
    for (const r of want) await w.log(r);
    // The disk fills in the middle of the next write: part of it reaches the file.
    disk.budget = 3000;
    await assert.rejects(w.log(record(3, 20000)), (err: Error) => err instanceof WalWriteError && /cannot write since .*ENOSPC/.test(err.message));
    await assert.rejects(w.log(record(4, 10)), /cannot write since .*ENOSPC: no space left on device, write\); retrying every 3600000ms/);
    assert.match(w.failure() ?? '', /ENOSPC/);
    assert.match(await reg.metrics(), /myelin_tsdb_wal_failed 1/);
    assert.equal(await w.recover(), false, 'still full');
    assert.ok(w.failure() !== undefined);

    disk.budget = Infinity;
    assert.equal(await w.recover(), true);
    assert.equal(w.failure(), undefined);
    assert.match(await reg.metrics(), /myelin_tsdb_wal_failed 0/);
    assert.match(await reg.metrics(), /myelin_tsdb_wal_writes_failed_total 1/);
    // Enough to cross into new segments again.
    for (let i = 5; i < 12; i++) {
      want.push(record(i, 30000));
      await w.log(want[want.length - 1]);
    }
    await w.close();
    const got = readAll(dir);
    assert.equal(got.corrupt, false);
    assert.deepEqual(got.recs, want, 'the acknowledged records, once each, none of the failed ones');
  }));

test('a failed write that started a new segment leaves no trace of it after recovery', () =>
  withDir(async (dir) => {
    const disk = new FillingDisk();
    const w = await Wal.open(dir, { segmentSize: 2 * PageSize, fsync: FsyncPolicy.Segment, retryIntervalMs: 3_600_000, openFile: disk.openFile }, new Registry());
    const want = [record(1, PageSize)];
    await w.log(want[0]);
    disk.budget = 100;
    // Does not fit the first segment: 100 bytes of it go to the tail of the new one, then ENOSPC.
    await assert.rejects(w.log(record(2, PageSize)), WalWriteError);
    assert.deepEqual(listSegments(dir).map((s) => s.index), [0, 1]);
    disk.budget = Infinity;
    assert.equal(await w.recover(), true);
    assert.deepEqual(listSegments(dir).map((s) => s.index), [0], 'the failed write\'s segment is gone');
    want.push(record(3, 100), record(4, PageSize));
    for (const r of want.slice(1)) await w.log(r);
    await w.close();
    assert.deepEqual(readAll(dir).recs, want);
    assert.equal(readAll(dir).corrupt, false);
  }));

test('a failed WAL retries by itself every retryIntervalMs', () =>
  withDir(async (dir) => {
    const disk = new FillingDisk();
    const w = await Wal.open(dir, { fsync: FsyncPolicy.None, retryIntervalMs: 20, openFile: disk.openFile }, new Registry());
    disk.budget = 0;
    await assert.rejects(w.log(record(1, 10)), WalWriteError);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(w.failure() !== undefined);
    disk.budget = Infinity;
    await waitUntil(() => w.failure() === undefined, { what: 'the WAL to recover once the disk has room', timeoutMs: 5000 });
    await w.log(record(2, 10));
    await w.close();
    assert.deepEqual(readAll(dir).recs, [record(2, 10)]);
  }));
