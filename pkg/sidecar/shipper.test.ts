import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BlockRefusedError, type UploadOutcome } from '../compactor/client/index.js';
import { toChunkSeries } from '../tsdb/block/block-test-util.js';
import { listChunkSeriesSet, writeBlock, writeMeta, type BlockMeta } from '../tsdb/block/index.js';
import { Shipper } from './shipper.js';

const root = await mkdtemp(join(tmpdir(), 'myelin-shipper-'));
after(() => rm(root, { recursive: true, force: true }));

/** A data directory with two level-1 blocks and one compacted block. */
async function dataDir(name: string): Promise<{ dir: string; blocks: BlockMeta[] }> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const blocks: BlockMeta[] = [];
  for (const t of [0, 1, 2]) {
    const meta = (await writeBlock(dir, listChunkSeriesSet(toChunkSeries([{ labels: { __name__: 'up' }, samples: [[t * 1000 + 1, 1]] }])))) as BlockMeta;
    blocks.push(meta);
  }
  const compacted = { ...blocks[2], compaction: { ...blocks[2].compaction, level: 2 } };
  await writeMeta(join(dir, compacted.ulid), compacted);
  await cp(join(dir, blocks[0].ulid), join(dir, `${blocks[0].ulid}.tmp-for-creation`), { recursive: true }); // a block being written
  return { dir, blocks: blocks.slice(0, 2) };
}

function shipper(dir: string, upload: (dir: string) => Promise<UploadOutcome>) {
  const registry = new Registry();
  const s = new Shipper({ dir, stateFile: join(dir, 'state.json'), uploadCompacted: false }, { client: { upload }, logger: pino({ level: 'silent' }), registry });
  const metric = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values.reduce((a, v) => a + v.value, 0);
  return { s, metric };
}

test('the shipper uploads each level-1 block once, keeps going past a refused one, and retries it next pass', async () => {
  const { dir, blocks } = await dataDir('retry');
  const calls: string[] = [];
  let refuse = true;
  const { s, metric } = shipper(dir, async (d) => {
    calls.push(d);
    if (refuse && d.endsWith(blocks[0].ulid)) throw new BlockRefusedError(blocks[0].ulid, 'HTTP 400: no');
    return { block: d, result: 'uploaded', bytes: 10 };
  });
  await s.sync();
  assert.deepEqual(calls, blocks.map((b) => join(dir, b.ulid)), 'level-1 blocks only, oldest first; the compacted and unfinished ones are left');
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')), { version: 1, uploaded: [blocks[1].ulid] });
  assert.equal(await metric('myelin_sidecar_shipper_upload_failures_total'), 1);
  assert.equal(await metric('myelin_sidecar_shipper_dir_sync_failures_total'), 1);
  refuse = false;
  await s.sync();
  await s.sync();
  assert.equal(calls.length, 3, 'the refused block once more, nothing else');
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')), { version: 1, uploaded: blocks.map((b) => b.ulid) });
  assert.equal(await metric('myelin_sidecar_shipper_uploads_total'), 2);
});

test('a corrupted state file fails the pass (counted, logged) without uploading or crashing', async () => {
  const { dir } = await dataDir('corrupt');
  await writeFile(join(dir, 'state.json'), '{"version": 7}');
  let calls = 0;
  const { s, metric } = shipper(dir, async (d) => {
    calls++;
    return { block: d, result: 'uploaded', bytes: 1 };
  });
  await s.sync();
  assert.equal(calls, 0);
  assert.equal(await metric('myelin_sidecar_shipper_dir_sync_failures_total'), 1);
});
