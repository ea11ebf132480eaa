// The client side of the block upload API (pkg/compactor/block-upload-routes.ts), as mimirtool's
// backfill speaks it: POST start with meta.json (thanos.files filled in from the directory), POST
// each file, POST finish, then GET check until the compactor says complete or failed.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { META_FILENAME, readMeta, readTombstones, type BlockMeta } from '../../tsdb/block/index.js';

export interface BlockUploadClientConfig {
  /** Base URL of Myelin (or of the compactor), e.g. http://127.0.0.1:9009 */
  address: string;
  tenant: string;
  /** How long to wait for the compactor to validate a finished block (ms). */
  validationTimeout: number;
  /** Between two `check` calls (ms). */
  pollInterval: number;
}

/** What happened to one block. */
export type UploadOutcome = { block: string; result: 'uploaded'; bytes: number } | { block: string; result: 'exists' };

/** The block was refused (locally or by the server); `reason` says why. */
export class BlockRefusedError extends Error {
  constructor(readonly block: string, readonly reason: string) {
    super(`block ${block} refused: ${reason}`);
    this.name = 'BlockRefusedError';
  }
}

/** A block directory's meta.json with thanos.files listing its index and chunks and their sizes. */
export async function blockMetaWithFiles(dir: string): Promise<BlockMeta> {
  const meta = await readMeta(dir);
  const files: { rel_path: string; size_bytes: number }[] = [{ rel_path: 'index', size_bytes: (await stat(join(dir, 'index'))).size }];
  for (const name of (await readdir(join(dir, 'chunks'))).sort()) {
    files.push({ rel_path: `chunks/${name}`, size_bytes: (await stat(join(dir, 'chunks', name))).size });
  }
  meta.thanos = { labels: {}, downsample: { resolution: 0 }, source: meta.thanos?.source ?? '', ...meta.thanos, files };
  return meta;
}

export class BlockUploadClient {
  readonly #cfg: BlockUploadClientConfig;

  constructor(cfg: BlockUploadClientConfig) {
    this.#cfg = cfg;
  }

  /**
   * Uploads the block in `dir` and waits until it is complete. `onFile` reports progress. Throws
   * BlockRefusedError when the server (or a local check) refuses the block.
   */
  async upload(dir: string, onFile?: (path: string, bytes: number) => void): Promise<UploadOutcome> {
    const meta = await blockMetaWithFiles(dir);
    const block = meta.ulid;
    if ((await readTombstones(dir)).size > 0) {
      throw new BlockRefusedError(block, 'it has tombstones (deleted series); rewrite it without them first (promtool tsdb clean-tombstones or Prometheus\' /api/v1/admin/tsdb/clean_tombstones)');
    }
    const start = await this.#call('POST', block, 'start', JSON.stringify(meta));
    if (start.status === 409 && /already exists/.test(start.text)) return { block, result: 'exists' };
    this.#expectOk(block, start);
    let bytes = 0;
    for (const f of meta.thanos?.files ?? []) {
      if (f.rel_path === META_FILENAME) continue;
      const size = f.size_bytes ?? 0;
      const body = createReadStream(join(dir, f.rel_path));
      this.#expectOk(block, await this.#call('POST', block, `files?path=${encodeURIComponent(f.rel_path)}`, body, size));
      bytes += size;
      onFile?.(f.rel_path, size);
    }
    this.#expectOk(block, await this.#call('POST', block, 'finish'));
    const deadline = Date.now() + this.#cfg.validationTimeout;
    for (;;) {
      const res = await this.#call('GET', block, 'check');
      this.#expectOk(block, res);
      const state = JSON.parse(res.text) as { result: string; error?: string };
      if (state.result === 'complete') return { block, result: 'uploaded', bytes };
      if (state.result === 'failed') throw new BlockRefusedError(block, state.error ?? 'validation failed');
      if (Date.now() > deadline) throw new Error(`block ${block}: still ${state.result} after ${this.#cfg.validationTimeout} ms`);
      await new Promise((r) => setTimeout(r, this.#cfg.pollInterval));
    }
  }

  async #call(method: string, block: string, what: string, body?: string | NodeJS.ReadableStream, size?: number): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { 'X-Scope-OrgID': this.#cfg.tenant };
    if (size !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      headers['Content-Length'] = String(size);
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(`${this.#cfg.address.replace(/\/+$/, '')}/api/v1/upload/block/${block}/${what}`, {
      method, headers, body: body as RequestInit['body'], ...(typeof body === 'object' ? { duplex: 'half' } : {}),
    });
    return { status: res.status, text: await res.text() };
  }

  #expectOk(block: string, res: { status: number; text: string }): void {
    if (res.status === 200) return;
    const reason = `HTTP ${res.status}: ${res.text.trim()}`;
    // 4xx: the server refused this block; 5xx and others: a failure worth retrying.
    if (res.status >= 400 && res.status < 500) throw new BlockRefusedError(block, reason);
    throw new Error(`block ${block}: ${reason}`);
  }
}
