// The shipping job of Thanos' sidecar, for Myelin: every interval, uploads each new block of a
// running Prometheus' data directory through the block upload API, once, for one tenant. What was
// shipped is kept in a state file (Thanos' shipper file format, {"version":1,"uploaded":[...]}),
// written atomically after each block, so a restart uploads nothing twice. Prometheus must run with
// equal --storage.tsdb.min-block-duration and max-block-duration: then it never compacts, and every
// block it cuts is a level-1 block shipped exactly once (compacted blocks would duplicate them).
import { readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BlockUploadClient } from '../compactor/client/index.js';
import { BlockRefusedError } from '../compactor/client/index.js';
import type { Logger } from '../log/index.js';
import { timerService, type Service } from '../services/index.js';
import { META_FILENAME, isUlid, readMeta } from '../tsdb/block/index.js';

export interface ShipperConfig {
  /** Prometheus' --storage.tsdb.path. */
  dir: string;
  stateFile: string;
  /** Ship blocks Prometheus compacted (level > 1) too. */
  uploadCompacted: boolean;
}

interface ShipperState {
  version: 1;
  uploaded: string[];
}

export class Shipper {
  readonly #cfg: ShipperConfig;
  readonly #client: Pick<BlockUploadClient, 'upload'>;
  readonly #log: Logger;
  readonly #skippedCompacted = new Set<string>();
  readonly #metrics;

  constructor(cfg: ShipperConfig, deps: { client: Pick<BlockUploadClient, 'upload'>; logger: Logger; registry: Registry }) {
    this.#cfg = cfg;
    this.#client = deps.client;
    this.#log = deps.logger.child({ component: 'shipper' });
    const registers = [deps.registry];
    this.#metrics = {
      syncs: new Counter({ name: 'myelin_sidecar_shipper_dir_syncs_total', help: 'Passes over the data directory.', registers }),
      syncFailures: new Counter({ name: 'myelin_sidecar_shipper_dir_sync_failures_total', help: 'Passes in which a block failed to upload or the directory could not be read.', registers }),
      uploads: new Counter({ name: 'myelin_sidecar_shipper_uploads_total', help: 'Blocks uploaded.', registers }),
      uploadFailures: new Counter({ name: 'myelin_sidecar_shipper_upload_failures_total', help: 'Block uploads that failed (tried again next pass).', labelNames: ['reason'], registers }),
      uploadedBytes: new Counter({ name: 'myelin_sidecar_shipper_uploaded_bytes_total', help: 'Bytes of block files uploaded.', registers }),
      lastSuccess: new Gauge({ name: 'myelin_sidecar_shipper_last_successful_sync_timestamp_seconds', help: 'Unix time of the last pass that shipped every new block.', registers }),
    };
    for (const r of ['refused', 'error']) this.#metrics.uploadFailures.labels(r);
  }

  service(intervalMs: number): Service {
    return timerService('shipper', intervalMs, () => this.sync(), { starting: () => this.sync() });
  }

  /** One pass; failures are logged and counted, never thrown, so the next pass tries again. */
  async sync(): Promise<void> {
    this.#metrics.syncs.inc();
    let failed = false;
    try {
      const state = await this.#readState();
      const uploaded = new Set(state.uploaded);
      const present = await this.#blocks();
      for (const block of present) {
        if (uploaded.has(block) || (await this.#skipCompacted(block))) continue;
        if (!(await this.#shipBlock(block))) {
          failed = true;
          continue;
        }
        uploaded.add(block);
        // Blocks Prometheus deleted (retention) leave the state, as in Thanos.
        await this.#writeState({ version: 1, uploaded: present.filter((b) => uploaded.has(b)) });
      }
    } catch (err) {
      failed = true;
      this.#log.error({ err }, 'shipping blocks');
    }
    if (failed) this.#metrics.syncFailures.inc();
    else this.#metrics.lastSuccess.set(Date.now() / 1000);
  }

  /** True for a block Prometheus compacted (it repeats shipped data), unless those are shipped too; never recorded as shipped. */
  async #skipCompacted(block: string): Promise<boolean> {
    if (this.#cfg.uploadCompacted) return false;
    let level;
    try {
      level = (await readMeta(join(this.#cfg.dir, block))).compaction.level;
    } catch {
      return false; // the upload reads it again and reports the problem as that block's failure
    }
    if (level <= 1) return false;
    if (!this.#skippedCompacted.has(block)) {
      this.#skippedCompacted.add(block);
      this.#log.warn({ block, level }, 'not shipping a compacted block: run Prometheus with equal min and max block durations');
    }
    return true;
  }

  /** True once the block is in Myelin. */
  async #shipBlock(block: string): Promise<boolean> {
    const dir = join(this.#cfg.dir, block);
    try {
      const res = await this.#client.upload(dir);
      if (res.result === 'uploaded') {
        this.#metrics.uploads.inc();
        this.#metrics.uploadedBytes.inc(res.bytes);
      }
      this.#log.info({ block, result: res.result }, 'shipped block');
      return true;
    } catch (err) {
      this.#metrics.uploadFailures.labels(err instanceof BlockRefusedError ? 'refused' : 'error').inc();
      this.#log.error({ block, err }, 'uploading block');
      return false;
    }
  }

  /** Complete blocks in the data directory (Prometheus renames a block into its ULID name when done), oldest first. */
  async #blocks(): Promise<string[]> {
    const out: string[] = [];
    for (const name of (await readdir(this.#cfg.dir)).sort()) {
      if (!isUlid(name)) continue;
      if (await stat(join(this.#cfg.dir, name, META_FILENAME)).then((s) => s.isFile(), () => false)) out.push(name);
    }
    return out;
  }

  async #readState(): Promise<ShipperState> {
    let text: string;
    try {
      text = await readFile(this.#cfg.stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, uploaded: [] };
      throw err;
    }
    const state = JSON.parse(text) as ShipperState;
    if (state.version !== 1 || !Array.isArray(state.uploaded)) throw new Error(`state file ${this.#cfg.stateFile}: not a version 1 shipper file`);
    return state;
  }

  async #writeState(state: ShipperState): Promise<void> {
    const tmp = `${this.#cfg.stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify(state, null, '\t') + '\n');
    await rename(tmp, this.#cfg.stateFile);
  }
}
