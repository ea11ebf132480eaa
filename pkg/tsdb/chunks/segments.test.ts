import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReader } from '../encoding/index.js';
import { SegmentReader } from './segment-reader.js';
import { SegmentWriter } from './segment-writer.js';
import { chunkRefOffset, chunkRefSeq } from './segment-format.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-chunks-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('segments roll over and every chunk reads back by ref', async () => {
  await withDir(async (dir) => {
    const w = new SegmentWriter(join(dir, 'chunks'), 1000);
    const want: Uint8Array[] = [];
    const refs: number[] = [];
    for (let i = 0; i < 40; i++) {
      const data = new Uint8Array(10 + ((i * 37) % 300)).fill(i);
      want.push(data);
      refs.push(await w.write(1, data));
    }
    await w.close();
    const names = await readdir(join(dir, 'chunks'));
    assert.ok(names.length > 3, `expected several segments, got ${names}`);
    assert.equal(names[0], '000001');
    assert.equal(chunkRefSeq(refs[0]), 0);
    assert.equal(chunkRefOffset(refs[0]), 8);
    const r = await SegmentReader.open(join(dir, 'chunks'));
    const got = await r.readChunks(refs);
    assert.deepEqual(got.map((c) => [...c.data]), want.map((d) => [...d]));
    assert.ok(got.every((c) => c.encoding === 1));
    // Out of order and single reads too.
    const rev = await r.readChunks([...refs].reverse());
    assert.deepEqual([...rev[0].data], [...want[want.length - 1]]);
    await r.close();
  });
});

test('a flipped byte is reported as corruption', async () => {
  await withDir(async (dir) => {
    const w = new SegmentWriter(dir);
    const ref = await w.write(1, new Uint8Array([1, 2, 3, 4]));
    await w.close();
    const p = join(dir, '000001');
    const b = await readFile(p);
    b[11] ^= 0xff;
    await writeFile(p, b);
    const r = await SegmentReader.open(dir);
    await assert.rejects(r.readChunks([ref]), /checksum mismatch/);
    await r.close();
    // A reader that serves queries (the store-gateway's) does not check, as Prometheus' does not.
    const unchecked = await SegmentReader.fromReaders([await FileReader.open(p)], false);
    assert.deepEqual([...(await unchecked.readChunks([ref]))[0].data], [1, 2 ^ 0xff, 3, 4]);
    await unchecked.close();
  });
});
