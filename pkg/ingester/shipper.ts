import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uploadDir, type Bucket } from '../bucket/index.js';
import type { Logger } from '../log/index.js';
import { META_FILENAME, isUlid, readMeta } from '../tsdb/block/index.js';
import type { BlockMeta } from '../tsdb/block/index.js';

/** The file in a tenant dir that lists shipped blocks (Thanos shipper's name and format). */
export const ShipperMetaFile = 'thanos.shipper.json';

interface ShipperFile {
  version: 1;
  uploaded: string[];
}

export interface ShipperDeps {
  bucket: Bucket;
  logger: Logger;
  onUpload: () => void;
  onFailure: () => void;
}

/**
 * Uploads a tenant's new local blocks to `<tenant>/<ULID>/` in the bucket (Thanos shipper). What
 * was shipped is recorded in `thanos.shipper.json`, so a restart never uploads a block twice.
 * meta.json goes last: a block without it is invisible to readers, so a half-uploaded block (a
 * crash mid-upload) is never read, and the next run uploads it again.
 */
export class Shipper {
  readonly #dir: string;
  readonly #tenant: string;
  readonly #deps: ShipperDeps;
  #shipped: Set<string> | undefined;

  constructor(tenantDir: string, tenant: string, deps: ShipperDeps) {
    this.#dir = tenantDir;
    this.#tenant = tenant;
    this.#deps = deps;
  }

  /** ULIDs of blocks known to be in the bucket. */
  async shipped(): Promise<ReadonlySet<string>> {
    if (this.#shipped === undefined) this.#shipped = new Set(await readShipperFile(this.#dir));
    return this.#shipped;
  }

  /**
   * Uploads every local block not shipped yet, oldest first; a failed block is retried with
   * backoff up to `attempts` times in this call, and by the next call after that.
   * Returns the metas of the blocks uploaded now.
   */
  async sync(attempts = 3, backoffMs = 200): Promise<BlockMeta[]> {
    const shipped = (await this.shipped()) as Set<string>;
    const uploaded: BlockMeta[] = [];
    for (const name of (await readdir(this.#dir)).filter(isUlid).sort()) {
      if (shipped.has(name)) continue;
      const meta = await readMeta(join(this.#dir, name));
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#upload(name);
          break;
        } catch (err) {
          this.#deps.onFailure();
          this.#deps.logger.warn({ block: name, tenant: this.#tenant, attempt, err }, 'block upload failed');
          if (attempt >= attempts) return uploaded;
          await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
        }
      }
      shipped.add(name);
      await writeShipperFile(this.#dir, [...shipped]);
      this.#deps.onUpload();
      this.#deps.logger.info({ block: name, tenant: this.#tenant }, 'block shipped');
      uploaded.push(meta);
    }
    return uploaded;
  }

  #upload(block: string): Promise<void> {
    return uploadDir(this.#deps.bucket, join(this.#dir, block), `${this.#tenant}/${block}`, [META_FILENAME]);
  }

}

async function readShipperFile(dir: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, ShipperMetaFile), 'utf8')) as Partial<ShipperFile>;
    return Array.isArray(parsed.uploaded) ? parsed.uploaded.filter((u) => typeof u === 'string') : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`read ${ShipperMetaFile} in ${dir}`, { cause: err });
  }
}

async function writeShipperFile(dir: string, uploaded: string[]): Promise<void> {
  const tmp = join(dir, `${ShipperMetaFile}.tmp`);
  await writeFile(tmp, JSON.stringify({ version: 1, uploaded: uploaded.sort() } satisfies ShipperFile, null, 2));
  await rename(tmp, join(dir, ShipperMetaFile));
}
