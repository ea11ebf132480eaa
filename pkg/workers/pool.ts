// A pool of worker threads that each run one task at a time, for work that must not run on the
// main thread and must be stoppable wherever it is (docs/architecture.md, "Process model").
//
// A task that outlives its deadline, or whose caller gives up, is answered at once; its worker is
// told to cancel and retired: it is terminated as soon as it answers, or `killGrace` ms later
// wherever it is (which stops even a tight loop). One spare worker beyond `size` stays started
// and idle, so a retired worker's place is taken at once rather than after a worker's start-up
// (module loading: a good part of a second); a new spare starts behind it. A worker that dies
// (V8 heap limit, uncaught error) fails only its task and is replaced the same way.
// Waiting tasks are taken round-robin by key (the tenant), so one key's burst cannot starve
// another's single task.
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { PoolMetrics } from './pool-metrics.js';
import { RpcChannel } from './rpc.js';
import { taskData } from './serve.js';
import { WorkerRegistries } from './worker-registries.js';

export interface WorkerPoolConfig {
  /** Names the pool in metrics and logs. */
  name: string;
  size: number;
  /** The worker's entry module; it calls serveTasks(). */
  script: URL;
  workerData: unknown;
  resourceLimits?: ResourceLimits;
  /** How long a worker may take to stop after its task was abandoned, before it is terminated (ms). */
  killGrace: number;
  /** Called with each new worker's channel before its first task, to serve it more than tasks. */
  connect?: (rpc: RpcChannel) => void;
}

export interface WorkerPoolDeps {
  logger: Logger;
  registry: Registry;
}

export interface TaskOptions {
  /** Epoch ms after which the task is answered with TaskTimeoutError. */
  deadline: number;
  signal?: AbortSignal;
  /** Fresh per worker: extra fields for the task message, computed when it is handed to `rpc`. */
  prepare?: (rpc: RpcChannel) => object;
  /** Receives what the task emits before its answer, in order; nothing more once it is settled. */
  onData?: (bytes: Uint8Array) => void;
}

/** The task ran past its deadline (its worker was told to stop). */
export class TaskTimeoutError extends Error {
  readonly code = 'TASK_TIMEOUT';
  constructor(readonly queued: boolean) {
    super(queued ? 'task timed out while waiting for a worker' : 'task timed out');
    this.name = 'TaskTimeoutError';
  }
}

/** The caller gave up on the task (e.g. the client went away). */
export class TaskCanceledError extends Error {
  readonly code = 'TASK_CANCELED';
  constructor() {
    super('task was canceled');
    this.name = 'TaskCanceledError';
  }
}

/** The worker running the task died; `outOfMemory` when it hit its heap limit. */
export class WorkerExitError extends Error {
  readonly code = 'WORKER_EXIT';
  constructor(readonly outOfMemory: boolean, cause: unknown) {
    super(outOfMemory ? 'the worker ran out of memory' : 'the worker stopped unexpectedly', { cause });
    this.name = 'WorkerExitError';
  }
}

interface Task {
  key: string;
  method: string;
  args: unknown;
  opts: TaskOptions;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
  slot: Slot | undefined;
}

interface Slot {
  id: number;
  worker: Worker;
  rpc: RpcChannel;
  ready: boolean;
  task: Task | undefined;
  /** Set when its task was abandoned: a replacement is starting; this one takes no more tasks. */
  retiring: boolean;
  killTimer: NodeJS.Timeout | undefined;
}

export class WorkerPool {
  readonly #cfg: WorkerPoolConfig;
  readonly #log: Logger;
  readonly #metrics: PoolMetrics;
  readonly #registries = new WorkerRegistries();
  readonly #slots = new Set<Slot>();
  /** Waiting tasks per key, and the keys in round-robin order. */
  readonly #queues = new Map<string, Task[]>();
  #keys: string[] = [];
  #nextSlotId = 1;
  #stopped = false;

  constructor(cfg: WorkerPoolConfig, deps: WorkerPoolDeps) {
    this.#cfg = cfg;
    this.#log = deps.logger.child({ component: 'worker-pool', pool: cfg.name });
    this.#metrics = new PoolMetrics(deps.registry, cfg.name, {
      busy: () => [...this.#slots].filter((s) => s.task !== undefined).length,
      queued: () => this.#queuedCount(),
    });
  }

  /**
   * Starts every worker and the spare; resolves once one of them is ready for tasks (tasks wait for
   * the rest), and rejects if none can start.
   */
  async start(): Promise<void> {
    const ready: Promise<void>[] = [];
    for (let i = 0; i <= this.#cfg.size; i++) ready.push(this.#spawn());
    for (const r of ready) r.catch((err: unknown) => this.#startFailed(err));
    this.#metrics.workers.set(this.#cfg.size);
    await Promise.any(ready).catch((err: AggregateError) => {
      throw new Error(`no worker of pool ${this.#cfg.name} could start`, { cause: err.errors[0] });
    });
  }

  /** Runs `method(args)` on a worker; rejects with TaskTimeoutError, TaskCanceledError, WorkerExitError or the worker's error. */
  run<T>(key: string, method: string, args: unknown, opts: TaskOptions): Promise<T> {
    if (this.#stopped) return Promise.reject(new Error(`worker pool ${this.#cfg.name} is stopped`));
    return new Promise<T>((resolve, reject) => {
      const task: Task = {
        key, method, args, opts, resolve: resolve as (v: unknown) => void, reject,
        settled: false, timer: undefined, onAbort: undefined, slot: undefined,
      };
      if (opts.signal?.aborted) {
        this.#finish(task, 'canceled', new TaskCanceledError());
        return;
      }
      task.timer = setTimeout(() => this.#abandon(task, 'timeout'), Math.max(0, opts.deadline - Date.now()));
      task.onAbort = () => this.#abandon(task, 'canceled');
      opts.signal?.addEventListener('abort', task.onAbort, { once: true });
      this.#enqueue(task);
      this.#dispatch();
    });
  }

  /**
   * The workers' registries as getMetricsAsJSON() sets (counters of replaced workers kept), for
   * /metrics to sum with the process's.
   */
  metricsJson(): Promise<Awaited<ReturnType<Registry['getMetricsAsJSON']>>[]> {
    return this.#registries.json();
  }

  /** Fails waiting tasks and terminates every worker. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const q of this.#queues.values()) for (const t of q) this.#finish(t, 'canceled', new Error(`worker pool ${this.#cfg.name} stopped`));
    this.#queues.clear();
    this.#keys = [];
    const slots = [...this.#slots];
    this.#slots.clear();
    await Promise.all(slots.map(async (s) => {
      clearTimeout(s.killTimer);
      await s.worker.terminate();
    }));
  }

  /** A worker that never became ready; one the pool terminated while stopping is no failure. */
  #startFailed(err: unknown): void {
    if (!this.#stopped) this.#log.error({ err }, 'starting a worker failed');
  }

  #spawn(): Promise<void> {
    const worker = new Worker(this.#cfg.script, { workerData: this.#cfg.workerData, resourceLimits: this.#cfg.resourceLimits });
    const slot: Slot = { id: this.#nextSlotId++, worker, rpc: new RpcChannel(worker), ready: false, task: undefined, retiring: false, killTimer: undefined };
    this.#slots.add(slot);
    slot.rpc.handle('metrics', (json) => this.#registries.update(slot.id, json as object[]));
    slot.rpc.handle(taskData, (bytes) => {
      const task = slot.task;
      if (task !== undefined && !task.settled) task.opts.onData?.(bytes as Uint8Array);
    });
    this.#cfg.connect?.(slot.rpc);
    const ready = new Promise<void>((resolve, reject) => {
      slot.rpc.handle('ready', () => {
        slot.ready = true;
        resolve();
        this.#dispatch();
      });
      worker.once('exit', (code) => {
        if (!slot.ready) reject(new Error(`worker of pool ${this.#cfg.name} exited with code ${code} before it was ready`));
      });
    });
    worker.on('error', (err) => this.#onWorkerGone(slot, err));
    worker.on('exit', (code) => this.#onWorkerGone(slot, new Error(`worker exited with code ${code}`)));
    return ready;
  }

  #onWorkerGone(slot: Slot, err: Error): void {
    if (!this.#slots.delete(slot)) return;
    clearTimeout(slot.killTimer);
    this.#registries.retire(slot.id);
    const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
    slot.rpc.failAll(new WorkerExitError(oom, err));
    const task = slot.task;
    if (task !== undefined) this.#finish(task, 'worker_exit', new WorkerExitError(oom, err));
    // A worker that never became ready would fail the same way again: no restart loop. A retired
    // one was replaced when it was retired.
    if (this.#stopped || !slot.ready || slot.retiring) return;
    const reason = oom ? 'out_of_memory' : 'exited';
    this.#metrics.restarts.inc({ reason });
    this.#log.warn({ err, reason }, 'worker stopped; starting another');
    this.#startReplacement();
  }

  #startReplacement(): void {
    this.#spawn().catch((e: unknown) => this.#startFailed(e));
  }

  #enqueue(task: Task): void {
    let q = this.#queues.get(task.key);
    if (q === undefined) {
      this.#queues.set(task.key, (q = []));
      this.#keys.push(task.key);
    }
    q.push(task);
  }

  /** The next waiting task, round-robin over keys. */
  #dequeue(): Task | undefined {
    while (this.#keys.length > 0) {
      const key = this.#keys.shift() as string;
      const q = this.#queues.get(key) as Task[];
      const task = q.shift();
      if (q.length > 0) this.#keys.push(key);
      else this.#queues.delete(key);
      if (task !== undefined) return task;
    }
    return undefined;
  }

  #dispatch(): void {
    let busy = 0;
    for (const slot of this.#slots) if (slot.task !== undefined && !slot.retiring) busy++;
    for (const slot of this.#slots) {
      if (busy >= this.#cfg.size) return;
      if (!slot.ready || slot.task !== undefined || slot.retiring) continue;
      busy++;
      const task = this.#dequeue();
      if (task === undefined) return;
      this.#assign(slot, task);
    }
  }

  #assign(slot: Slot, task: Task): void {
    slot.task = task;
    task.slot = slot;
    const extra = task.opts.prepare?.(slot.rpc) ?? {};
    slot.rpc.call('task', { method: task.method, args: task.args, deadline: task.opts.deadline, ...extra }).then(
      (v) => this.#release(slot, task, v, undefined),
      (e: unknown) => this.#release(slot, task, undefined, e as Error),
    );
  }

  /** The worker answered: settle the task (unless it was abandoned) and take the next one. */
  #release(slot: Slot, task: Task, value: unknown, err: Error | undefined): void {
    if (slot.task !== task) return;
    slot.task = undefined;
    if (err instanceof WorkerExitError) return; // #onWorkerGone settles and replaces
    if (slot.retiring) {
      clearTimeout(slot.killTimer);
      void slot.worker.terminate();
      return;
    }
    if (err !== undefined) this.#finish(task, 'error', err);
    else this.#finish(task, 'success', undefined, value);
    this.#dispatch();
  }

  /** Deadline or cancel: answer now; retire the worker, by force if it does not stop itself. */
  #abandon(task: Task, why: 'timeout' | 'canceled'): void {
    if (task.settled) return;
    const slot = task.slot;
    if (slot === undefined) {
      const q = this.#queues.get(task.key);
      if (q !== undefined) q.splice(q.indexOf(task), 1);
    }
    this.#finish(task, why, why === 'timeout' ? new TaskTimeoutError(slot === undefined) : new TaskCanceledError());
    if (slot === undefined || slot.task !== task) return;
    slot.rpc.notify('cancel', undefined);
    slot.retiring = true;
    this.#metrics.restarts.inc({ reason: 'abandoned' });
    this.#startReplacement();
    this.#dispatch(); // the spare takes the retired worker's place now
    slot.killTimer = setTimeout(() => {
      if (slot.task !== task) return;
      this.#log.warn({ method: task.method, key: task.key }, 'terminating a worker that did not stop its abandoned task');
      void slot.worker.terminate();
    }, this.#cfg.killGrace);
  }

  #finish(task: Task, outcome: string, err?: Error, value?: unknown): void {
    if (task.settled) return;
    task.settled = true;
    clearTimeout(task.timer);
    if (task.onAbort !== undefined) task.opts.signal?.removeEventListener('abort', task.onAbort);
    this.#metrics.tasks.inc({ outcome });
    if (err !== undefined) task.reject(err);
    else task.resolve(value);
  }

  #queuedCount(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }
}
