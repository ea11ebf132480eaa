// Deletion marks in Cortex's format (Thanos metadata.DeletionMark): `{id, deletion_time, version}`,
// deletion_time in Unix seconds. A mark is written twice, as Cortex does: next to the block
// (`<block>/deletion-mark.json`, what Thanos tools read) and as the global marker
// (`markers/<block>-deletion-mark.json`, what the bucket index and so every reader uses). The global
// marker is the one that counts; it is written second, so a block whose global marker exists also
// has its local one.
import type { Bucket } from '../bucket/index.js';
import { DELETION_MARK_SUFFIX, MARKERS_DIR, deletionMarkName } from '../bucket-index/index.js';
import type { Logger } from '../log/index.js';

/** The deletion mark next to a block's files. */
export const BLOCK_DELETION_MARK = 'deletion-mark.json';
export const DELETION_MARK_VERSION = 1;

/** Writes both marks of `block` with deletion time `nowMs`. Idempotent apart from the time. */
export async function markForDeletion(tb: Bucket, block: string, nowMs: number): Promise<void> {
  const body = Buffer.from(JSON.stringify({ id: block, deletion_time: Math.floor(nowMs / 1000), version: DELETION_MARK_VERSION }));
  try {
    await tb.upload(`${block}/${BLOCK_DELETION_MARK}`, body);
    await tb.upload(deletionMarkName(block), body);
  } catch (err) {
    throw new Error(`mark block ${block} for deletion`, { cause: err });
  }
}

/**
 * The global deletion marks of a tenant: block → deletion time in seconds. A mark that cannot be
 * parsed counts as "marked, time unknown" (Infinity): the block is no longer compacted, and never
 * deleted until someone fixes the mark.
 */
export async function readDeletionMarks(tb: Bucket, tenant: string, log: Logger): Promise<Map<string, number>> {
  const names: string[] = [];
  await tb.iter(MARKERS_DIR, (n) => void names.push(n));
  const out = new Map<string, number>();
  for (const n of names) {
    const base = n.slice(MARKERS_DIR.length + 1);
    if (!base.endsWith(DELETION_MARK_SUFFIX)) continue;
    const block = base.slice(0, -DELETION_MARK_SUFFIX.length);
    let raw: Buffer;
    try {
      raw = await tb.get(n);
    } catch (err) {
      if (tb.isObjNotFoundErr(err)) continue; // deleted meanwhile
      throw new Error(`read deletion mark ${n}`, { cause: err });
    }
    let time = Infinity;
    try {
      const m = JSON.parse(raw.toString('utf8')) as { deletion_time?: unknown };
      if (typeof m.deletion_time === 'number' && Number.isFinite(m.deletion_time)) time = m.deletion_time;
    } catch {
      // kept as Infinity below
    }
    if (time === Infinity) log.warn({ tenant, block }, 'unreadable deletion mark; the block is kept');
    out.set(block, time);
  }
  return out;
}
