// The query-frontend's worker threads: merging the parts of a split query costs as much as its
// answer is large, so it runs here and not on the main thread (docs/architecture.md, "Process model").
import { availableParallelism } from 'node:os';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { idleService } from '../services/index.js';
import type { Service } from '../services/index.js';
import { WorkerPool } from '../workers/index.js';

/** Merging is quick next to evaluating: a couple of threads serve many queriers' answers. */
const maxMergeWorkers = 2;

export class MergePool {
  readonly #pool: WorkerPool;

  constructor(deps: { logger: Logger; registry: Registry }) {
    this.#pool = new WorkerPool({
      name: 'query_frontend_merge',
      size: Math.min(maxMergeWorkers, availableParallelism()),
      script: new URL('./merge-worker.js', import.meta.url),
      workerData: undefined,
      killGrace: 500,
    }, deps);
  }

  service(): Service {
    return idleService('query-frontend-workers', {
      starting: () => this.#pool.start(),
      stopping: () => this.#pool.stop(),
    });
  }

  /** The merged answer of the parts of a range query (successful matrix bodies, in time order). */
  async mergeMatrix(tenant: string, bodies: Uint8Array[], deadline: number, signal: AbortSignal): Promise<Buffer> {
    const merged = await this.#pool.run<Uint8Array>(tenant, 'merge', bodies, { deadline, signal });
    return Buffer.from(merged.buffer, merged.byteOffset, merged.byteLength);
  }
}
