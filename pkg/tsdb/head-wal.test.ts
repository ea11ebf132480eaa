import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Labels } from '../model/labels/index.js';
import { StaleNaN } from './chunkenc/index.js';
import { Head } from './head.js';
import { dumpHead } from './head-testutil.js';
import { listSegments } from './wal/index.js';
import { FillingDisk } from './wal/testing.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-head-wal-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const open = (dir: string, reg = new Registry()) => Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: reg });
const series = (i: number) => Labels.fromRecord({ __name__: 'm', i: String(i), pad: 'x'.repeat(i % 3) });

test('replay rebuilds the head exactly (property)', async () => {
  const value = fc.oneof(fc.double(), fc.constantFrom(StaleNaN, -0, Infinity, NaN));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(fc.tuple(fc.nat(6), fc.integer({ min: 1, max: 5000 }), value), { maxLength: 15 }), { maxLength: 8 }), (batches) =>
      withDir(async (dir) => {
        const h = await open(dir);
        const next = new Map<number, number>();
        for (const batch of batches) {
          const a = h.appender();
          for (const [s, dt, v] of batch) {
            const t = (next.get(s) ?? 0) + dt;
            next.set(s, t);
            a.append(0, series(s), t, v);
          }
          await a.commit();
        }
        const before = await dumpHead(h);
        await h.close();
        const h2 = await open(dir);
        assert.deepEqual(await dumpHead(h2), before);
        assert.equal(h2.numSeries(), h.numSeries());
        await h2.close();
      }),
    ),
    { numRuns: 25 },
  );
});

test('a torn or corrupt WAL tail recovers every batch before it, and nothing after', () =>
  withDir(async (dir) => {
    const src = join(dir, 'src');
    const h = await open(src);
    const ends: number[] = [];
    const seg = () => join(src, '00000000');
    for (let b = 0; b < 7; b++) {
      const a = h.appender();
      // Batch b adds series b (a series record in the same write) and one sample to series 0..b.
      for (let s = 0; s <= b; s++) a.append(0, series(s), 1000 + b, b);
      await a.commit();
      ends.push((await stat(seg())).size);
    }
    await h.close();
    const full = await readFile(seg());
    const expected = async (batches: number) => {
      const r = new Map<string, [number, string][]>();
      const ref = await Head.open({}, { registry: new Registry() });
      for (let b = 0; b < batches; b++) {
        const a = ref.appender();
        for (let s = 0; s <= b; s++) a.append(0, series(s), 1000 + b, b);
        await a.commit();
      }
      for (const [k, v] of await dumpHead(ref)) r.set(k, v);
      return r;
    };
    const wants: Map<string, [number, string][]>[] = [];
    for (let b = 0; b <= 7; b++) wants.push(await expected(b));
    const work = join(dir, 'work');
    // Every byte offset of the last three batches (flips on every fourth byte, to keep this quick).
    for (let cut = ends[4]; cut <= full.length; cut++) {
      for (const mode of ['truncate', 'flip'] as const) {
        if (mode === 'flip' && (cut === full.length || cut % 4 !== 0)) continue;
        await rm(work, { recursive: true, force: true });
        await cp(src, work, { recursive: true });
        if (mode === 'truncate') await writeFile(join(work, '00000000'), full.subarray(0, cut));
        else {
          const bad = Buffer.from(full);
          bad[cut] ^= 0x10;
          await writeFile(join(work, '00000000'), bad);
        }
        const reg = new Registry();
        const h2 = await open(work, reg);
        const complete = ends.filter((e) => e <= cut).length;
        const got = await dumpHead(h2);
        const corrupt = mode === 'flip' || !ends.includes(cut);
        if (mode === 'flip') {
          // Everything in batches that end before the flipped byte survives, later ones are cut.
          const intact = ends.filter((e) => e <= cut).length;
          assert.deepEqual(got, wants[intact], `flip at ${cut}`);
        } else {
          assert.deepEqual(got, wants[complete], `cut at ${cut}`);
        }
        // A cut between the series and samples records of one batch is a clean end; any other cut
        // that is not a batch end is a torn record; a flipped byte always fails its checksum.
        const metric = corrupt ? (mode === 'flip' ? '1' : '[01]') : '0';
        assert.match(await reg.metrics(), new RegExp(`myelin_tsdb_wal_corruptions_total ${metric}\n`), `${mode} at ${cut}`);
        // The head stays writable, and the repair is durable.
        const a = h2.appender();
        a.append(0, series(99), 5000, 1);
        await a.commit();
        const again = await dumpHead(h2);
        await h2.close();
        const h3 = await open(work);
        assert.deepEqual(await dumpHead(h3), again, `${mode} at ${cut}: reopen after repair`);
        await h3.close();
      }
    }
  }));

test('truncation checkpoints the WAL; replay reads checkpoint and later segments only', () =>
  withDir(async (dir) => {
    const h = await Head.open({ walDir: dir, samplesPerChunk: 4, wal: { fsync: 'none', segmentSize: 64 * 1024 } }, { registry: new Registry() });
    const a = h.appender();
    for (let t = 0; t < 100; t++) {
      a.append(0, series(1), t, t);
      if (t < 30) a.append(0, series(2), t, t); // series 2 ends early and is collected
      await a.commit();
    }
    await h.truncate(50);
    assert.equal(h.numSeries(), 1);
    for (let t = 100; t < 120; t++) {
      a.append(0, series(1), t, t);
      a.append(0, series(3), t, t);
      await a.commit();
    }
    const names = await readdir(dir);
    assert.ok(names.includes('checkpoint.00000000'), names.join(','));
    assert.deepEqual(listSegments(dir).map((s) => s.index), [1]);
    const want = new Map([...(await dumpHead(h))].map(([k, rows]) => [k, rows.filter(([t]) => t >= 50)]));
    await h.close();
    const h2 = await open(dir);
    assert.deepEqual(await dumpHead(h2), want);
    assert.equal(h2.numSeries(), 2);
    await h2.close();
    // Even with no segment left after the checkpoint, writing resumes past it (never in a segment
    // that replay would skip).
    for (const s of listSegments(dir)) await rm(s.path);
    const h3 = await open(dir);
    const a3 = h3.appender();
    a3.append(0, series(4), 500, 1);
    await a3.commit();
    await h3.close();
    const h4 = await open(dir);
    assert.deepEqual((await dumpHead(h4)).get(series(4).toString()), [[500, '3ff0000000000000']]);
    await h4.close();
  }));

test('a checksummed but undecodable record is skipped and counted, not a crash loop', () =>
  withDir(async (dir) => {
    const h = await open(dir);
    const a = h.appender();
    a.append(0, series(1), 10, 1);
    await a.commit();
    await h.wal?.log(Uint8Array.from([2, 0, 0, 1])); // a samples record cut inside its first ref
    a.append(0, series(1), 20, 2);
    await a.commit();
    await h.close();
    const reg = new Registry();
    const h2 = await open(dir, reg);
    assert.deepEqual((await dumpHead(h2)).get(series(1).toString())?.map(([t]) => t), [10, 20]);
    assert.match(await reg.metrics(), /myelin_tsdb_wal_corruptions_total 1\n/);
    await h2.close();
  }));

test('a commit the WAL fails leaves the head unchanged; after recovery, replay holds each acknowledged sample once', () =>
  withDir(async (dir) => {
    const disk = new FillingDisk();
    const h = await Head.open({ walDir: dir, wal: { fsync: 'none', retryIntervalMs: 3_600_000, openFile: disk.openFile } }, { registry: new Registry() });
    const commit = async (from: number, to: number) => {
      const a = h.appender();
      for (let t = from; t < to; t++) for (let i = 0; i < 20; i++) a.append(0, series(i), t * 1000, t);
      await a.commit();
    };
    await commit(1, 50);
    const acked = await dumpHead(h);
    disk.budget = 5000;
    await assert.rejects(commit(50, 100), /commit 1000 samples to the WAL/);
    await assert.rejects(commit(50, 100), (err: Error) => /cannot write since .*ENOSPC/.test(String(err.cause)));
    assert.deepEqual(await dumpHead(h), acked, 'nothing of the failed commits is in the head');
    assert.match(h.wal?.failure() ?? '', /ENOSPC/);

    disk.budget = Infinity;
    assert.equal(await h.wal?.recover(), true);
    // The client retries what was refused.
    await commit(50, 100);
    const after = await dumpHead(h);
    assert.equal([...after.values()][0].length, 99);
    await h.close();
    const h2 = await open(dir);
    assert.deepEqual(await dumpHead(h2), after, 'replay: every acknowledged sample, once');
    await h2.close();
  }));
