// What a tenant has in the bucket, read fresh on every pass (not from the bucket index, which the
// cleaner rewrites only every cleanup interval): complete blocks with their meta.json, partial
// blocks (a directory without meta.json: an upload in progress or interrupted, or a deletion
// interrupted after meta.json went first), and the global deletion marks.
import type { Bucket } from '../bucket/index.js';
import type { Logger } from '../log/index.js';
import { META_FILENAME, isUlid, validateMeta, type BlockMeta } from '../tsdb/block/index.js';
import { readDeletionMarks } from './deletion-mark.js';

export interface TenantBlocks {
  /** Blocks with a readable meta.json, by ULID. */
  metas: Map<string, BlockMeta>;
  /** Block directories without meta.json. */
  partial: string[];
  /** Global deletion marks: block → deletion time in Unix seconds. */
  marks: Map<string, number>;
}

/**
 * Metas of blocks already read, by tenant and ULID: meta.json never changes once uploaded, so each
 * is fetched once per process (Thanos' meta fetcher cache).
 */
export class MetaCache {
  readonly #metas = new Map<string, BlockMeta>();

  async read(tb: Bucket, tenant: string, log: Logger): Promise<TenantBlocks> {
    const ids: string[] = [];
    await tb.iter('', (name) => {
      const id = name.endsWith('/') ? name.slice(0, -1) : '';
      if (isUlid(id)) ids.push(id);
    });
    const metas = new Map<string, BlockMeta>();
    const partial: string[] = [];
    for (const id of ids) {
      const key = `${tenant}/${id}`;
      let meta = this.#metas.get(key);
      if (meta === undefined) {
        const got = await readBlockMeta(tb, id);
        if (got === 'partial') {
          partial.push(id);
          continue;
        }
        if (got instanceof Error) {
          log.warn({ tenant, block: id, err: got }, 'skipping block with unreadable meta.json');
          continue;
        }
        meta = got;
        this.#metas.set(key, meta);
      }
      metas.set(id, meta);
    }
    // Forget blocks that are gone, so the cache does not grow forever.
    const prefix = `${tenant}/`;
    for (const key of this.#metas.keys()) if (key.startsWith(prefix) && !metas.has(key.slice(prefix.length))) this.#metas.delete(key);
    return { metas, partial, marks: await readDeletionMarks(tb, tenant, log) };
  }
}

async function readBlockMeta(tb: Bucket, id: string): Promise<BlockMeta | 'partial' | Error> {
  const name = `${id}/${META_FILENAME}`;
  let raw: Buffer;
  try {
    raw = await tb.get(name);
  } catch (err) {
    if (tb.isObjNotFoundErr(err)) return 'partial';
    throw new Error(`read ${name}`, { cause: err });
  }
  try {
    const meta = validateMeta(JSON.parse(raw.toString('utf8')), name);
    return meta.ulid === id ? meta : new Error(`meta.json names block ${meta.ulid}`);
  } catch (err) {
    return err as Error;
  }
}
