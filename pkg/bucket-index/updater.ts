// Builds a tenant's bucket index from the bucket (Cortex bucketindex.Updater): lists the deletion
// marks under `markers/` and the block directories, reads meta.json of blocks the previous index
// did not know, and reads the marks of listed blocks. Blocks without meta.json are partial (an upload in progress or an
// interrupted one) and left out; so are blocks whose meta.json is corrupt, with a warning.
import type { Bucket } from '../bucket/index.js';
import type { Logger } from '../log/index.js';
import { META_FILENAME, isUlid, validateMeta } from '../tsdb/block/index.js';
import { BUCKET_INDEX_VERSION, type BucketIndex, type IndexBlock, type IndexDeletionMark } from './bucket-index.js';

export const MARKERS_DIR = 'markers';
export const DELETION_MARK_SUFFIX = '-deletion-mark.json';

/** Where a deletion mark of `block` lives in the tenant's bucket. */
export function deletionMarkName(block: string): string {
  return `${MARKERS_DIR}/${block}${DELETION_MARK_SUFFIX}`;
}

export interface UpdateResult {
  index: BucketIndex;
  partialBlocks: string[];
  corruptBlocks: string[];
}

export async function updateBucketIndex(tb: Bucket, tenant: string, old: BucketIndex | undefined, log: Logger, now = Date.now): Promise<UpdateResult> {
  const known = new Map((old?.blocks ?? []).map((b) => [b.block_id, b]));
  // Marks are listed before blocks. A compactor uploads its output before it marks the sources,
  // so every mark listed here has its compaction's output in the block list below. Listed the
  // other way round, a compaction between the two listings gave an index with the sources marked
  // and their output missing, and a querier without an ignore delay skipped that data.
  const markNames = await listDeletionMarks(tb);
  const ids: string[] = [];
  await tb.iter('', (name) => {
    const id = name.endsWith('/') ? name.slice(0, -1) : '';
    if (isUlid(id)) ids.push(id);
  });
  const blocks: IndexBlock[] = [];
  const partialBlocks: string[] = [];
  const corruptBlocks: string[] = [];
  for (const id of ids) {
    const prev = known.get(id);
    if (prev !== undefined) {
      blocks.push(prev);
      continue;
    }
    const got = await readIndexBlock(tb, id);
    if (got === 'partial') partialBlocks.push(id);
    else if (got instanceof Error) {
      corruptBlocks.push(id);
      log.warn({ tenant, block: id, err: got }, 'skipping block with unreadable meta.json');
    } else blocks.push(got);
  }
  const marks = await readDeletionMarks(tb, markNames, new Set(ids), tenant, log);
  return {
    index: { version: BUCKET_INDEX_VERSION, blocks, block_deletion_marks: marks, updated_at: Math.floor(now() / 1000) },
    partialBlocks,
    corruptBlocks,
  };
}

async function readIndexBlock(tb: Bucket, id: string): Promise<IndexBlock | 'partial' | Error> {
  const name = `${id}/${META_FILENAME}`;
  let raw: Buffer;
  let uploadedAt: Date;
  try {
    [raw, { lastModified: uploadedAt }] = await Promise.all([tb.get(name), tb.attributes(name)]);
  } catch (err) {
    if (tb.isObjNotFoundErr(err)) return 'partial';
    throw new Error(`read ${name}`, { cause: err });
  }
  try {
    const meta = validateMeta(JSON.parse(raw.toString('utf8')), name);
    if (meta.ulid !== id) return new Error(`meta.json names block ${meta.ulid}`);
    const segments = meta.thanos?.segment_files?.length;
    return {
      block_id: id,
      min_time: meta.minTime,
      max_time: meta.maxTime,
      ...(segments !== undefined && segments > 0 ? { segments_format: '1b6d', segments_num: segments } : {}),
      uploaded_at: Math.floor(uploadedAt.getTime() / 1000),
    };
  } catch (err) {
    return err as Error;
  }
}

async function listDeletionMarks(tb: Bucket): Promise<string[]> {
  const names: string[] = [];
  await tb.iter(MARKERS_DIR, (n) => void names.push(n));
  return names;
}

/** The deletion marks among `names` (object names under markers/) of blocks in `blocks`. */
async function readDeletionMarks(tb: Bucket, names: readonly string[], blocks: Set<string>, tenant: string, log: Logger): Promise<IndexDeletionMark[]> {
  const marks: IndexDeletionMark[] = [];
  for (const n of names) {
    const base = n.slice(MARKERS_DIR.length + 1);
    if (!base.endsWith(DELETION_MARK_SUFFIX)) continue;
    const id = base.slice(0, -DELETION_MARK_SUFFIX.length);
    if (!blocks.has(id)) continue; // the block is gone already; the mark is a leftover
    try {
      const m = JSON.parse((await tb.get(n)).toString('utf8')) as { deletion_time?: unknown };
      marks.push({ block_id: id, deletion_time: Number(m.deletion_time ?? 0) });
    } catch (err) {
      if (tb.isObjNotFoundErr(err)) continue;
      log.warn({ tenant, block: id, err }, 'skipping unreadable deletion mark');
    }
  }
  return marks;
}
