// The block uploader's states on a real (filesystem) bucket, with a validator the test controls:
// a restart during validation, refusals of a completed block, finishing without validation, and
// two finish requests at once. (The HTTP API and real blocks: integration/backfill.test.ts.)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { FilesystemBucket, tenantBucket } from '../bucket/index.js';
import { META_FILENAME, TENANT_EXTERNAL_LABEL, encodeUlid, type BlockMeta } from '../tsdb/block/index.js';
import { BlockUploadError, BlockUploader, UPLOADING_META_FILENAME, type BlockUploadLimits, type BlockValidator } from './block-upload.js';

const HOUR = 3_600_000;
const T = 'tenant-a';
const root = await mkdtemp(join(tmpdir(), 'myelin-block-upload-'));
after(() => rm(root, { recursive: true, force: true }));
let seq = 0;

/** A validator whose verdicts the test gives, one per call, in order. */
class HeldValidator implements BlockValidator {
  readonly calls: string[] = [];
  readonly #verdicts: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #waiting: (() => void) | undefined;

  validate(_tenant: string, dir: string): Promise<void> {
    this.calls.push(dir);
    this.#waiting?.();
    return new Promise((resolve, reject) => void this.#verdicts.push({ resolve, reject }));
  }

  /** Resolves once `n` validations have started. */
  async started(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((r) => (this.#waiting = r));
  }

  pass(i: number): void {
    this.#verdicts[i].resolve();
  }
}

function setup(limits: Partial<BlockUploadLimits> = {}) {
  const dir = join(root, String(seq++));
  const bucket = new FilesystemBucket(join(dir, 'bucket'));
  const indexUpdates: string[] = [];
  /** A new uploader on the same bucket and data dir: the compactor (re)started. */
  const uploader = (validator: BlockValidator = new HeldValidator(), registry = new Registry()) => new BlockUploader({
    bucket,
    limits: () => ({ enabled: true, validationEnabled: true, verifyChunks: true, maxBlockSizeBytes: 0, retention: 0, ...limits }),
    validator,
    updateIndex: async (tenant) => void indexUpdates.push(tenant),
    dataDir: join(dir, 'data'),
    maxBlockRange: 24 * HOUR,
    logger: pino({ level: 'silent' }),
    registry,
  });
  return { bucket, tb: tenantBucket(bucket, T), indexUpdates, uploader };
}

const files = { index: Buffer.from('index bytes'), 'chunks/000001': Buffer.from('chunk bytes, more of them') };

/** Starts an upload of a new block and sends its files; returns its ID and the meta.json sent. */
async function uploaded(u: BlockUploader): Promise<{ block: string; meta: Buffer }> {
  const maxTime = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const block = encodeUlid(maxTime, new Uint8Array(10).fill(seq));
  const meta: BlockMeta = {
    ulid: block, minTime: maxTime - 2 * HOUR, maxTime, version: 1,
    stats: { numSamples: 1, numSeries: 1, numChunks: 1 },
    compaction: { level: 1, sources: [block] },
    thanos: { labels: {}, downsample: { resolution: 0 }, source: 'test', files: Object.entries(files).map(([rel_path, b]) => ({ rel_path, size_bytes: b.length })) },
  };
  const body = Buffer.from(JSON.stringify(meta));
  await u.start(T, block, body);
  for (const [path, file] of Object.entries(files)) await u.uploadFile(T, block, path, Readable.from([file]));
  return { block, meta: body };
}

const refused = (status: number, reason: string) => (err: unknown) =>
  err instanceof BlockUploadError && err.statusCode === status && err.reason === reason;

async function waitComplete(u: BlockUploader, block: string): Promise<void> {
  for (let i = 0; i < 200 && (await u.check(T, block)).result !== 'complete'; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(await u.check(T, block), { result: 'complete' });
}

test('a restart during validation: the block is reported failed (interrupted), stays invisible, and a new finish completes it', async () => {
  const { tb, indexUpdates, uploader } = setup();
  const before = new HeldValidator();
  const first = uploader(before);
  const { block } = await uploaded(first);
  await first.finish(T, block);
  await before.started(1);
  assert.deepEqual(await first.check(T, block), { result: 'validating' });

  // The process died: a new uploader sees the validation record without a verdict.
  const restarted = new HeldValidator();
  const second = uploader(restarted);
  const state = await second.check(T, block);
  assert.equal(state.result, 'failed');
  assert.match((state as { error: string }).error, /validation was interrupted \(the compactor restarted\): finish the upload again/);
  assert.equal(await tb.exists(`${block}/${META_FILENAME}`), false, 'not visible before it is validated');

  await second.finish(T, block);
  await restarted.started(1);
  assert.deepEqual(await second.check(T, block), { result: 'validating' });
  restarted.pass(0);
  await waitComplete(second, block);
  assert.equal(await tb.exists(`${block}/${UPLOADING_META_FILENAME}`), false);
  assert.deepEqual(indexUpdates, [T]);
});

test('a completed block: start, files and finish are refused with 409 and counted', async () => {
  const registry = new Registry();
  const u = setup({ validationEnabled: false }).uploader(new HeldValidator(), registry);
  const { block, meta } = await uploaded(u);
  await u.finish(T, block);
  await assert.rejects(u.start(T, block, meta), refused(409, 'block_exists'));
  await assert.rejects(u.uploadFile(T, block, 'index', Readable.from([files.index])), refused(409, 'block_exists'));
  await assert.rejects(u.finish(T, block), refused(409, 'block_exists'));
  assert.match(await registry.metrics(), /myelin_block_upload_rejections_total\{reason="block_exists",user="tenant-a"\} 3/);
  assert.deepEqual(await u.check(T, block), { result: 'complete' });
});

test('validation off: finish completes the block at once, without the validator, and updates the bucket index', async () => {
  const { tb, indexUpdates, uploader } = setup({ validationEnabled: false });
  const validator = new HeldValidator();
  const u = uploader(validator);
  const { block } = await uploaded(u);
  assert.deepEqual(await u.check(T, block), { result: 'uploading' });
  await u.finish(T, block);
  assert.deepEqual(await u.check(T, block), { result: 'complete' });
  assert.deepEqual(validator.calls, []);
  assert.deepEqual(indexUpdates, [T]);
  const stored = JSON.parse((await tb.get(`${block}/${META_FILENAME}`)).toString('utf8')) as BlockMeta;
  assert.deepEqual(stored.thanos?.labels, { [TENANT_EXTERNAL_LABEL]: T }, 'the tenant is the block\'s only external label');
  assert.equal(await tb.exists(`${block}/${UPLOADING_META_FILENAME}`), false);
});

test('two finish requests at once: one validation; the other is refused with 409', async () => {
  const { uploader } = setup();
  const validator = new HeldValidator();
  const u = uploader(validator);
  const { block } = await uploaded(u);
  const results = await Promise.allSettled([u.finish(T, block), u.finish(T, block)]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const rejection = results.find((r) => r.status === 'rejected');
  assert.ok(refused(409, 'validating')(rejection?.reason), String(rejection?.reason));
  // And a third while the validation runs.
  await validator.started(1);
  await assert.rejects(u.finish(T, block), refused(409, 'validating'));
  validator.pass(0);
  await waitComplete(u, block);
  assert.equal(validator.calls.length, 1);
});
