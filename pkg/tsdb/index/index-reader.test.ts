import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Labels } from '../../model/labels/index.js';
import { CorruptionError, type RangeReader } from '../encoding/index.js';
import { listChunkSeriesSet, writeBlock } from '../block/index.js';
import { toChunkSeries, withTempDir, type PlainSeries } from '../block/block-test-util.js';
import { IndexReader } from './index-reader.js';

/** An in-memory object read by ranges, as a bucket would serve it, counting the bytes read. */
class MemRangeReader implements RangeReader {
  readonly path = 'mem://index';
  bytesRead = 0;
  readonly #buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }
  get size(): number {
    return this.#buf.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.#buf.length) throw new CorruptionError('read past the end');
    this.bytesRead += length;
    return this.#buf.subarray(offset, offset + length);
  }
  async close(): Promise<void> {}
}

test('an index served by ranges answers a selective lookup with a small share of its bytes', async () => {
  await withTempDir(async (dir) => {
    const series: PlainSeries[] = [];
    for (let i = 0; i < 3000; i++) {
      series.push({ labels: { __name__: `m${i % 7}`, id: String(i).padStart(5, '0'), zone: `z${i % 3}` }, samples: [[i, i]] });
    }
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
    const bytes = await readFile(join(dir, (meta as { ulid: string }).ulid, 'index'));
    const r = new MemRangeReader(bytes);
    const ix = await IndexReader.fromReader(r);
    const atOpen = r.bytesRead;
    const [p] = await ix.postingsForValues('id', ['01234']);
    const [s] = await ix.series(p);
    assert.ok(s.labels.equals(Labels.fromRecord({ __name__: 'm2', id: '01234', zone: 'z1' })));
    const perQuery = r.bytesRead - atOpen;
    assert.ok(perQuery < bytes.length / 50, `a lookup read ${perQuery} of ${bytes.length} bytes`);
    assert.ok(atOpen < bytes.length / 2, `open read ${atOpen} of ${bytes.length} bytes`);
    await ix.close();
  });
});

test('a corrupted index is refused with the reason', async () => {
  const cases: Record<string, (b: Uint8Array) => void> = {
    'bad magic': (b) => (b[0] ^= 0xff),
    'flipped TOC byte': (b) => (b[b.length - 10] ^= 0x01),
  };
  await withTempDir(async (dir) => {
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries([{ labels: { __name__: 'x' }, samples: [[1, 1]] }])));
    const bytes = await readFile(join(dir, (meta as { ulid: string }).ulid, 'index'));
    for (const [name, corrupt] of Object.entries(cases)) {
      const b = Uint8Array.from(bytes);
      corrupt(b);
      await assert.rejects(IndexReader.fromReader(new MemRangeReader(b)), (err: Error) => err.cause instanceof CorruptionError, name);
    }
  });
});
