// The per-tenant bucket index, `<tenant>/bucket-index.json.gz`: the tenant's blocks and deletion
// marks in Cortex's format (pkg/storage/tsdb/bucketindex), so that queriers and store-gateways read
// one small object instead of listing the bucket. Times: block min/max in milliseconds,
// uploaded_at, deletion_time and updated_at in seconds, as Cortex writes them.
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Bucket, BucketReader } from '../bucket/index.js';
import { isUlid } from '../tsdb/block/index.js';

export const BUCKET_INDEX_FILENAME = 'bucket-index.json.gz';
export const BUCKET_INDEX_VERSION = 1;

export interface IndexBlock {
  block_id: string;
  min_time: number;
  /** Exclusive, as in meta.json. */
  max_time: number;
  /** `1b6d`: segment files named 000001, 000002, ... */
  segments_format?: string;
  segments_num?: number;
  uploaded_at: number;
}

export interface IndexDeletionMark {
  block_id: string;
  deletion_time: number;
}

export interface BucketIndex {
  version: number;
  blocks: IndexBlock[];
  block_deletion_marks: IndexDeletionMark[];
  updated_at: number;
}

/** Thrown when the index object exists but cannot be read; the caller decides to rebuild or fail. */
export class BucketIndexCorruptedError extends Error {
  readonly code = 'BUCKET_INDEX_CORRUPTED';
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export function parseBucketIndex(raw: unknown, where: string): BucketIndex {
  const bad = (why: string) => new BucketIndexCorruptedError(`bucket index ${where}: ${why}`);
  const idx = raw as BucketIndex;
  if (typeof idx !== 'object' || idx === null) throw bad('not an object');
  if (idx.version !== BUCKET_INDEX_VERSION) throw bad(`unsupported version ${String(idx.version)}`);
  if (!Array.isArray(idx.blocks)) throw bad('blocks is not a list');
  idx.block_deletion_marks ??= [];
  if (!Array.isArray(idx.block_deletion_marks)) throw bad('block_deletion_marks is not a list');
  for (const b of idx.blocks) {
    if (!isUlid(b?.block_id) || !Number.isSafeInteger(b.min_time) || !Number.isSafeInteger(b.max_time)) {
      throw bad(`bad block entry ${JSON.stringify(b)}`);
    }
  }
  for (const m of idx.block_deletion_marks) {
    if (!isUlid(m?.block_id)) throw bad(`bad deletion mark ${JSON.stringify(m)}`);
  }
  return idx;
}

/** The tenant's index, or undefined when it has none yet. `tenantBucket` is the tenant's view. */
export async function readBucketIndex(tenantBucket: BucketReader, where: string): Promise<BucketIndex | undefined> {
  let gz: Buffer;
  try {
    gz = await tenantBucket.get(BUCKET_INDEX_FILENAME);
  } catch (err) {
    if (tenantBucket.isObjNotFoundErr(err)) return undefined;
    throw new Error(`read bucket index of ${where}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse((await gunzipAsync(gz)).toString('utf8'));
  } catch (err) {
    throw new BucketIndexCorruptedError(`bucket index of ${where}: not gzipped JSON`, { cause: err });
  }
  return parseBucketIndex(raw, where);
}

export async function writeBucketIndex(tenantBucket: Bucket, idx: BucketIndex): Promise<void> {
  await tenantBucket.upload(BUCKET_INDEX_FILENAME, await gzipAsync(Buffer.from(JSON.stringify(idx))));
}

/** Blocks overlapping [mint, maxt] (inclusive ms), excluding those marked for deletion when asked. */
export function blocksInRange(idx: BucketIndex, mint: number, maxt: number): IndexBlock[] {
  return idx.blocks.filter((b) => b.min_time <= maxt && b.max_time > mint);
}
