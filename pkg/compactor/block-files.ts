// Downloading and deleting whole blocks in the bucket (uploads: bucket's uploadDir).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Bucket } from '../bucket/index.js';
import { META_FILENAME } from '../tsdb/block/index.js';
import { BLOCK_DELETION_MARK } from './deletion-mark.js';

/** Object names (relative to the tenant) of every file of `block`. */
export async function blockObjects(tb: Bucket, block: string): Promise<string[]> {
  const names: string[] = [];
  await tb.iter(block, (n) => void names.push(n), { recursive: true });
  return names;
}

/** Downloads `block` into `<dir>/<block>/`, whole files; its deletion mark, if any, is left out. */
export async function downloadBlock(tb: Bucket, block: string, dir: string): Promise<void> {
  for (const name of await blockObjects(tb, block)) {
    const rel = name.slice(block.length + 1);
    if (rel === BLOCK_DELETION_MARK) continue;
    const file = join(dir, block, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, await tb.get(name));
  }
}

/**
 * Deletes `block` from the bucket, meta.json first so that an interrupted deletion leaves a partial
 * block that no reader uses, then the other files, then its deletion marks (local, then global).
 */
export async function deleteBlock(tb: Bucket, block: string, globalMark: string): Promise<void> {
  const del = async (name: string) => {
    try {
      await tb.delete(name);
    } catch (err) {
      if (!tb.isObjNotFoundErr(err)) throw new Error(`delete ${name}`, { cause: err });
    }
  };
  await del(`${block}/${META_FILENAME}`);
  const localMark = `${block}/${BLOCK_DELETION_MARK}`;
  for (const name of await blockObjects(tb, block)) if (name !== localMark) await del(name);
  await del(localMark);
  await del(globalMark);
}
