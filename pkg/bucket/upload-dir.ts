// Uploading a local directory, e.g. a TSDB block, whose readers must not see it before it is whole.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from './bucket.js';

/** Paths of every file under `dir`, relative to it, with `/` separators. */
async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else out.push(r);
  }
  return out;
}

/**
 * Uploads every file under the local directory `dir` to `<prefix>/<relative path>`, the files named
 * in `last` after all the others and in that order (a block's meta.json: until it is there,
 * readers take the block for a partial one and ignore it).
 */
export async function uploadDir(bucket: Bucket, dir: string, prefix: string, last: readonly string[] = []): Promise<void> {
  const files = await filesUnder(dir);
  const first = files.filter((f) => !last.includes(f)).sort();
  for (const f of [...first, ...last.filter((f) => files.includes(f))]) await bucket.upload(`${prefix}/${f}`, await readFile(join(dir, f)));
}
