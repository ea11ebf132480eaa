// The query-frontend's worker threads: merging the parts of a split query, and a cached extent
// with the gaps around it, costs as much as the answers are large, so it runs here and not on the
// main thread (docs/architecture.md, "Process model").
import { availableParallelism } from 'node:os';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { idleService } from '../services/index.js';
import type { Service } from '../services/index.js';
import { WorkerPool } from '../workers/index.js';
import type { ShardEvalTask } from './shard-eval.js';
import type { ShardPlan } from './shard-rewrite.js';

/** Merging is quick next to evaluating: a couple of threads serve many queriers' answers. */
const maxMergeWorkers = 2;

/** A part answered from a cached extent and fetched gaps: the pieces' bodies in time order. */
export interface AssembleTask {
  bodies: Uint8Array[];
  /** The part's range (ms). */
  from: number;
  to: number;
  /** The range to keep as the part's new extent, when there is one. */
  extent?: { from: number; to: number };
}

export interface ShardPlanTask {
  query: string;
  totalShards: number;
  /** 0: no bound. */
  maxShardedQueries: number;
}

export interface AssembledPart {
  answer: Uint8Array;
  /** The new extent as a cache entry (extent.ts); absent when nothing may be cached (no range given, or the answer has warnings). */
  extent?: Uint8Array;
}

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
    return asBuffer(merged);
  }

  /** The shard plan of a query (shard-rewrite.ts), or undefined when it is not sharded. */
  async planShards(tenant: string, task: ShardPlanTask, deadline: number, signal: AbortSignal): Promise<ShardPlan | undefined> {
    return (await this.#pool.run<ShardPlan | null>(tenant, 'shard-plan', task, { deadline, signal })) ?? undefined;
  }

  /** A sharded query's answer from its legs' answers, or undefined when it must run unsharded (custom-bucket histograms). */
  async evaluateSharded(tenant: string, task: ShardEvalTask, deadline: number, signal: AbortSignal): Promise<Buffer | undefined> {
    const body = await this.#pool.run<Uint8Array | null>(tenant, 'shard-eval', task, { deadline, signal });
    return body === null ? undefined : asBuffer(body);
  }

  /** A part's answer from its pieces, and its new extent. */
  async assemble(tenant: string, task: AssembleTask, deadline: number, signal: AbortSignal): Promise<{ answer: Buffer; extent?: Buffer }> {
    const a = await this.#pool.run<AssembledPart>(tenant, 'assemble', task, { deadline, signal });
    return { answer: asBuffer(a.answer), extent: a.extent === undefined ? undefined : asBuffer(a.extent) };
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
