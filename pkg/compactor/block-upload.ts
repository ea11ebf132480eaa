// Mimir's block upload API, the compactor's side: a client (myelin backfill, myelin sidecar,
// mimirtool) starts an upload with the block's meta.json, sends the index and chunk files, then
// asks to finish; the block becomes visible (meta.json written, bucket index updated) only after
// its files are all there with the sizes meta.json declares and, when the tenant's validation is
// on, its index and chunks were verified. Until then the block directory has `uploading-meta.json`
// instead of meta.json, so every reader treats it as partial, and the blocks cleaner deletes an
// abandoned one after the deletion delay.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter, type Registry } from 'prom-client';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import type { Logger } from '../log/index.js';
import { META_FILENAME, TENANT_EXTERNAL_LABEL, isUlid, validateMeta, type BlockMeta } from '../tsdb/block/index.js';
import { downloadBlock } from './block-files.js';

export const UPLOADING_META_FILENAME = 'uploading-meta.json';
export const VALIDATION_FILENAME = 'validation.json';
/** The most bytes of a meta.json accepted by /start. */
export const maxMetaBytes = 1 << 20;
const filePathPattern = /^(index|chunks\/\d{6})$/;

/** The tenant's block upload limits (Mimir's compactor_block_upload_*). */
export interface BlockUploadLimits {
  enabled: boolean;
  validationEnabled: boolean;
  verifyChunks: boolean;
  /** 0: no limit. */
  maxBlockSizeBytes: number;
  /** The tenant's retention (ms); 0 keeps forever. */
  retention: number;
}

/** Verifies a downloaded block off the main thread; rejects with the reason it is invalid. */
export interface BlockValidator {
  validate(tenant: string, dir: string, meta: BlockMeta, verifyChunks: boolean): Promise<void>;
}

export interface BlockUploaderDeps {
  bucket: Bucket;
  limits: (tenant: string) => BlockUploadLimits;
  validator: BlockValidator;
  /** Rewrites the tenant's bucket index once a block is complete. */
  updateIndex: (tenant: string) => Promise<void>;
  /** Where blocks are downloaded for validation. */
  dataDir: string;
  /** The longest block range the compactor makes (ms); longer uploads are refused. */
  maxBlockRange: number;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

/** A refusal with the HTTP status to answer and the reason label it counts under. */
export class BlockUploadError extends Error {
  constructor(readonly statusCode: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'BlockUploadError';
  }
}

export type UploadState = { result: 'complete' | 'uploading' | 'validating' } | { result: 'failed'; error: string };

interface ValidationRecord {
  startedAt: number;
  error?: string;
}

export class BlockUploader {
  readonly #deps: BlockUploaderDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  /** `tenant/block` of validations running in this process. */
  readonly #validating = new Set<string>();
  /**
   * `tenant/block` of finish requests between their first await and the start of the validation:
   * claimed synchronously, so a second finish of the same block is refused instead of validating
   * (and downloading into the same directory) twice.
   */
  readonly #finishing = new Set<string>();
  readonly #rejections;
  readonly #completed;

  constructor(deps: BlockUploaderDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'block-upload' });
    this.#now = deps.now ?? Date.now;
    this.#rejections = new Counter({
      name: 'myelin_block_upload_rejections_total',
      help: 'Block upload requests refused, by reason.',
      labelNames: ['reason', 'user'],
      registers: [deps.registry],
    });
    this.#completed = new Counter({
      name: 'myelin_block_upload_blocks_completed_total',
      help: 'Uploaded blocks made visible (meta.json written).',
      labelNames: ['user'],
      registers: [deps.registry],
    });
  }

  /** POST .../start: checks the meta.json and records the upload. */
  async start(tenant: string, block: string, body: Buffer): Promise<void> {
    return this.#counted(tenant, async () => {
      this.#enabled(tenant, block);
      let raw: unknown;
      try {
        raw = JSON.parse(body.toString('utf8'));
      } catch {
        throw new BlockUploadError(400, 'invalid_meta', 'meta.json is not valid JSON');
      }
      const meta = this.#checkMeta(tenant, block, raw);
      const tb = tenantBucket(this.#deps.bucket, tenant);
      const state = await this.#state(tb, tenant, block);
      if (state?.result === 'complete') throw new BlockUploadError(409, 'block_exists', `block ${block} already exists`);
      if (state?.result === 'validating') throw new BlockUploadError(409, 'validating', `block ${block} is being validated`);
      await tb.upload(`${block}/${UPLOADING_META_FILENAME}`, Buffer.from(JSON.stringify(meta, null, '\t')));
      this.#log.info({ tenant, block, minTime: meta.minTime, maxTime: meta.maxTime }, 'block upload started');
    });
  }

  /** POST .../files?path=: stores one file of a started upload, exactly as large as meta.json says. */
  async uploadFile(tenant: string, block: string, path: string, body: Readable): Promise<void> {
    return this.#counted(tenant, async () => {
      this.#enabled(tenant, block);
      if (!filePathPattern.test(path)) throw new BlockUploadError(400, 'invalid_path', `invalid file path ${JSON.stringify(path)}: must be index or chunks/NNNNNN`);
      const tb = tenantBucket(this.#deps.bucket, tenant);
      const meta = await this.#uploading(tb, tenant, block);
      const size = declaredFiles(meta).get(path);
      if (size === undefined) throw new BlockUploadError(400, 'unknown_file', `file ${path} is not listed in meta.json's thanos.files`);
      let received = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          if (received > size) done(new BlockUploadError(400, 'file_size_mismatch', `file ${path} is larger than the ${size} bytes meta.json declares`));
          else done(null, chunk);
        },
      });
      const name = `${block}/${path}`;
      try {
        await Promise.all([tb.upload(name, counter), pipeline(body, counter)]);
      } catch (err) {
        await tb.delete(name).catch(() => undefined);
        if (err instanceof BlockUploadError) throw err;
        if (findUploadError(err) !== undefined) throw findUploadError(err) as BlockUploadError;
        throw err;
      }
      if (received !== size) {
        await tb.delete(name).catch(() => undefined);
        throw new BlockUploadError(400, 'file_size_mismatch', `file ${path} has ${received} bytes, meta.json declares ${size}`);
      }
    });
  }

  /**
   * POST .../finish: checks that every declared file is there with its size, then either completes
   * the block at once (validation off) or starts validating it and answers right away; GET
   * .../check tells when it is done.
   */
  async finish(tenant: string, block: string): Promise<void> {
    return this.#counted(tenant, async () => {
      const limits = this.#enabled(tenant, block);
      const key = `${tenant}/${block}`;
      if (this.#finishing.has(key)) throw new BlockUploadError(409, 'validating', `block ${block} is being finished`);
      this.#finishing.add(key);
      try {
        await this.#finish(tenant, block, limits);
      } finally {
        this.#finishing.delete(key);
      }
    });
  }

  /** finish() once the block is claimed: the file check, then completion or the validation's start. */
  async #finish(tenant: string, block: string, limits: BlockUploadLimits): Promise<void> {
    const tb = tenantBucket(this.#deps.bucket, tenant);
    const meta = await this.#uploading(tb, tenant, block);
    for (const [path, size] of declaredFiles(meta)) {
      let have: number;
      try {
        have = (await tb.attributes(`${block}/${path}`)).size;
      } catch (err) {
        if (!tb.isObjNotFoundErr(err)) throw err;
        throw new BlockUploadError(400, 'missing_file', `file ${path} of block ${block} was not uploaded`);
      }
      if (have !== size) throw new BlockUploadError(400, 'file_size_mismatch', `file ${path} has ${have} bytes, meta.json declares ${size}`);
    }
    if (!limits.validationEnabled) {
      await this.#complete(tb, tenant, block, meta);
      return;
    }
    const key = `${tenant}/${block}`;
    this.#validating.add(key);
    try {
      await tb.upload(`${block}/${VALIDATION_FILENAME}`, Buffer.from(JSON.stringify({ startedAt: this.#now() } satisfies ValidationRecord)));
    } catch (err) {
      this.#validating.delete(key);
      throw err;
    }
    void this.#validate(tb, tenant, block, meta, limits.verifyChunks).finally(() => this.#validating.delete(key));
  }

  /** GET .../check: Mimir's `{"result": "complete" | "uploading" | "validating" | "failed", "error"?}`. */
  async check(tenant: string, block: string): Promise<UploadState> {
    if (!isUlid(block)) throw new BlockUploadError(400, 'invalid_block_id', `invalid block ID ${JSON.stringify(block)}`);
    const state = await this.#state(tenantBucket(this.#deps.bucket, tenant), tenant, block);
    if (state === undefined) throw new BlockUploadError(404, 'not_found', `block ${block} not found`);
    return state;
  }

  async #state(tb: Bucket, tenant: string, block: string): Promise<UploadState | undefined> {
    if (await tb.exists(`${block}/${META_FILENAME}`)) return { result: 'complete' };
    if (!(await tb.exists(`${block}/${UPLOADING_META_FILENAME}`))) return undefined;
    if (this.#validating.has(`${tenant}/${block}`)) return { result: 'validating' };
    let record: ValidationRecord;
    try {
      record = JSON.parse((await tb.get(`${block}/${VALIDATION_FILENAME}`)).toString('utf8')) as ValidationRecord;
    } catch (err) {
      if (tb.isObjNotFoundErr(err)) return { result: 'uploading' };
      throw err;
    }
    // A record without an error and no validation running here: the compactor restarted meanwhile.
    return { result: 'failed', error: record.error ?? 'validation was interrupted (the compactor restarted): finish the upload again' };
  }

  async #validate(tb: Bucket, tenant: string, block: string, meta: BlockMeta, verifyChunks: boolean): Promise<void> {
    const dir = join(this.#deps.dataDir, 'block-upload', tenant);
    try {
      await mkdir(dir, { recursive: true });
      await downloadBlock(tb, block, dir);
      // The downloaded copy gets the meta.json the block will have, for the block reader.
      await writeFile(join(dir, block, META_FILENAME), JSON.stringify(meta));
      await this.#deps.validator.validate(tenant, join(dir, block), meta, verifyChunks);
      await this.#complete(tb, tenant, block, meta);
    } catch (err) {
      const error = (err as Error).message;
      this.#rejections.labels('invalid_block', tenant).inc();
      this.#log.warn({ tenant, block, err }, 'uploaded block failed validation');
      await tb.upload(`${block}/${VALIDATION_FILENAME}`, Buffer.from(JSON.stringify({ startedAt: this.#now(), error } satisfies ValidationRecord)))
        .catch((e: unknown) => this.#log.error({ tenant, block, err: e }, 'recording the validation failure'));
    } finally {
      await rm(join(dir, block), { recursive: true, force: true });
    }
  }

  /** meta.json last: the block is visible from then on. Then the upload's own files go. */
  async #complete(tb: Bucket, tenant: string, block: string, meta: BlockMeta): Promise<void> {
    await tb.upload(`${block}/${META_FILENAME}`, Buffer.from(JSON.stringify(meta, null, '\t')));
    for (const f of [UPLOADING_META_FILENAME, VALIDATION_FILENAME]) {
      await tb.delete(`${block}/${f}`).catch((err: unknown) => {
        if (!tb.isObjNotFoundErr(err)) throw err;
      });
    }
    this.#completed.labels(tenant).inc();
    this.#log.info({ tenant, block }, 'uploaded block complete');
    try {
      await this.#deps.updateIndex(tenant);
    } catch (err) {
      this.#log.warn({ tenant, block, err }, 'updating the bucket index after an upload (the next cleaner run does it)');
    }
  }

  async #uploading(tb: Bucket, tenant: string, block: string): Promise<BlockMeta> {
    const state = await this.#state(tb, tenant, block);
    if (state === undefined) throw new BlockUploadError(404, 'not_started', `no upload of block ${block} was started`);
    if (state.result === 'complete') throw new BlockUploadError(409, 'block_exists', `block ${block} is already complete`);
    if (state.result === 'validating') throw new BlockUploadError(409, 'validating', `block ${block} is being validated`);
    return validateMeta(JSON.parse((await tb.get(`${block}/${UPLOADING_META_FILENAME}`)).toString('utf8')), UPLOADING_META_FILENAME);
  }

  #enabled(tenant: string, block: string): BlockUploadLimits {
    const limits = this.#deps.limits(tenant);
    if (!limits.enabled) throw new BlockUploadError(400, 'disabled', `block upload is disabled for tenant ${tenant}`);
    if (!isUlid(block)) throw new BlockUploadError(400, 'invalid_block_id', `invalid block ID ${JSON.stringify(block)}`);
    return limits;
  }

  /** The meta.json as it will be stored: checked, with the tenant as its only external label. */
  #checkMeta(tenant: string, block: string, raw: unknown): BlockMeta {
    const bad = (msg: string) => new BlockUploadError(400, 'invalid_meta', msg);
    let meta: BlockMeta;
    try {
      meta = validateMeta(raw, 'meta.json');
    } catch (err) {
      throw bad((err as Error).message);
    }
    if (meta.ulid !== block) throw bad(`meta.json ulid ${meta.ulid} does not match block ID ${block}`);
    if (meta.minTime < 0 || meta.minTime >= meta.maxTime) throw bad(`meta.json has an empty or negative time range [${meta.minTime}, ${meta.maxTime})`);
    const now = this.#now();
    if (meta.maxTime > now) throw bad(`block max time ${new Date(meta.maxTime).toISOString()} is in the future`);
    const limits = this.#deps.limits(tenant);
    if (limits.retention > 0 && meta.maxTime < now - limits.retention) throw bad('block is entirely older than the tenant\'s retention period');
    if (meta.maxTime - meta.minTime > this.#deps.maxBlockRange) {
      throw bad(`block covers ${meta.maxTime - meta.minTime} ms, more than the largest compaction range (${this.#deps.maxBlockRange} ms)`);
    }
    for (const [k, v] of Object.entries(meta.thanos?.labels ?? {})) {
      if (k !== TENANT_EXTERNAL_LABEL) throw bad(`unsupported external label ${k} in meta.json`);
      if (v !== tenant) throw bad(`external label ${TENANT_EXTERNAL_LABEL}=${v} is not the tenant ${tenant}`);
    }
    const files = declaredFiles(meta, bad);
    if (!files.has('index')) throw bad('meta.json\'s thanos.files does not list index');
    const total = [...files.values()].reduce((a, b) => a + b, 0);
    if (limits.maxBlockSizeBytes > 0 && total > limits.maxBlockSizeBytes) {
      throw new BlockUploadError(400, 'block_too_large', `block of ${total} bytes exceeds the tenant's limit of ${limits.maxBlockSizeBytes} bytes`);
    }
    meta.thanos = {
      ...meta.thanos,
      labels: { [TENANT_EXTERNAL_LABEL]: tenant },
      downsample: { resolution: 0 },
      source: 'upload',
      files: [...files].map(([rel_path, size_bytes]) => ({ rel_path, size_bytes })),
    };
    return meta;
  }

  /** Runs `fn`, counting a BlockUploadError under its reason. */
  async #counted<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BlockUploadError) this.#rejections.labels(err.reason, tenant).inc();
      throw err;
    }
  }
}

/** meta.json's thanos.files (index and chunks only) as path → size; `bad` names what is wrong. */
function declaredFiles(meta: BlockMeta, bad = (msg: string) => new BlockUploadError(400, 'invalid_meta', msg)): Map<string, number> {
  const files = meta.thanos?.files;
  if (!Array.isArray(files)) throw bad('meta.json has no thanos.files list (index and chunks with their sizes)');
  const out = new Map<string, number>();
  for (const f of files) {
    if (f.rel_path === META_FILENAME || f.rel_path === 'tombstones') continue;
    if (typeof f.rel_path !== 'string' || !filePathPattern.test(f.rel_path)) throw bad(`thanos.files has an invalid path ${JSON.stringify(f.rel_path)}`);
    if (!Number.isSafeInteger(f.size_bytes) || (f.size_bytes as number) < 0) throw bad(`thanos.files: ${f.rel_path} has no valid size_bytes`);
    if (out.has(f.rel_path)) throw bad(`thanos.files lists ${f.rel_path} twice`);
    out.set(f.rel_path, f.size_bytes as number);
  }
  return out;
}

function findUploadError(err: unknown): BlockUploadError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof BlockUploadError) return e;
  return undefined;
}
