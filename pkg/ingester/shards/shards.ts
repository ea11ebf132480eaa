// The main thread's side of the ingester shards: starts one worker per shard, forwards the
// operator endpoints to all of them, and reports their readiness and metrics as the process's.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { MemoryStore } from '../../kv/index.js';
import { serveMemoryStore } from '../../kv/index.js';
import type { Logger } from '../../log/index.js';
import { ringViewMetricNames } from '../../ring/index.js';
import { abortedPromise, basicService, sleep } from '../../services/index.js';
import type { Service } from '../../services/index.js';
import type { IngesterClient } from '../../generated/myelin/ingester.js';
import { InProcessGrpcClients } from '../../server/index.js';
import { RpcChannel } from '../../workers/index.js';
import { ingesterServiceDefinition } from '../grpc-service.js';
import type { IngesterAdmin, UserIdStats } from '../http.js';
import { ShardNotice } from './shard.js';
import type { ShardData } from './shard.js';
import type { ShardConfig, ShardRuntime } from './shard-config.js';

export interface IngesterShardsDeps {
  logger: Logger;
  /** The process's memory KV store, served to every shard (their rings use it when the store is `inmemory`). */
  memoryKv: MemoryStore;
  /** The runtime config now; `onRuntimeChange` forwards every later change to the shards. */
  runtime: () => ShardRuntime;
  onRuntimeChange: (fn: (v: ShardRuntime) => void) => void;
}

/** How long a stopped shard's thread may take to exit by itself (delivering its last logs). */
const exitGraceMs = 2000;

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

/** One worker thread and what the main thread knows of it. */
class Shard {
  readonly index: number;
  readonly worker: Worker;
  readonly #rpc: RpcChannel;
  /** Calls to the shard's gRPC service over the worker's port (pkg/server in-process-grpc). */
  readonly grpc: InProcessGrpcClients;
  /** Set once the thread is gone or failed: calls are refused instead of waiting forever. */
  #gone: Error | undefined;
  /** Resolves once the shard's ingester is Running. */
  readonly running: Promise<void>;
  /** Resolves when the shard's ingester stopped on its own (shutdown API); rejects when the shard failed. */
  readonly ended: Promise<void>;
  /** The last metrics it answered with: a stopped shard's counters stay in /metrics, never going down. */
  lastMetrics: Metrics = [];
  #stopping = false;

  constructor(cfg: ShardConfig, deps: IngesterShardsDeps) {
    this.index = cfg.shard;
    const kv = new MessageChannel();
    serveMemoryStore(deps.memoryKv, kv.port1);
    const data: ShardData = { cfg, runtime: deps.runtime(), kvPort: kv.port2 };
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: data, transferList: [kv.port2], name: `ingester-shard-${cfg.shard}` });
    let setRunning!: () => void;
    let setEnded!: () => void;
    let fail!: (err: Error) => void;
    this.running = new Promise<void>((resolve) => (setRunning = resolve));
    const failed = new Promise<never>((_, reject) => (fail = reject));
    this.ended = Promise.race([new Promise<void>((resolve) => (setEnded = resolve)), failed]);
    this.running = Promise.race([this.running, failed]);
    this.ended.catch(() => {});
    this.running.catch(() => {});
    const failWith = (err: Error) => {
      this.#goneWith(err);
      fail(err);
    };
    this.#rpc = new RpcChannel(this.worker);
    this.grpc = new InProcessGrpcClients(this.#rpc);
    this.#rpc.handle(ShardNotice.Running, () => setRunning());
    this.#rpc.handle(ShardNotice.Terminated, () => setEnded());
    this.#rpc.handle(ShardNotice.Log, (line) => logLine(deps.logger, line as string));
    this.#rpc.handle(ShardNotice.Failed, (args) => {
      const e = args as { message: string; stack?: string };
      failWith(Object.assign(new Error(`ingester shard ${this.index} failed: ${e.message}`), { stack: e.stack }));
    });
    this.worker.once('error', (err) => failWith(new Error(`ingester shard ${this.index} crashed: ${err.message}`, { cause: err })));
    this.worker.once('exit', (code) => {
      kv.port1.close();
      if (this.#stopping) {
        this.#goneWith(new Error(`ingester shard ${this.index} stopped`));
        setEnded();
      } else {
        failWith(new Error(`ingester shard ${this.index} exited (code ${code})`));
      }
    });
  }

  call<T>(method: string, args?: unknown): Promise<T> {
    return this.#gone !== undefined ? Promise.reject(this.#gone) : this.#rpc.call<T>(method, args);
  }

  notify(method: string, args: unknown): void {
    if (this.#gone === undefined) this.#rpc.notify(method, args);
  }

  #goneWith(err: Error): void {
    this.#gone ??= err;
    this.#rpc.failAll(err);
  }

  /** Stops the shard's ingester (leave, transfer or flush, close); its thread then exits, or is terminated. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    try {
      await this.call('stop');
      await Promise.race([exited, sleep(exitGraceMs)]);
    } finally {
      await this.worker.terminate();
    }
  }

  async metrics(): Promise<Metrics> {
    try {
      this.lastMetrics = await this.call<Metrics>('metrics');
    } catch {
      // Gone or stopping: its last figures stand.
    }
    return this.lastMetrics;
  }
}

/** Writes a shard's JSON log line with the main thread's logger (its time is the main thread's). */
function logLine(log: Logger, line: string): void {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    log.info({ line }, 'unparsable log line of an ingester shard');
    return;
  }
  const { level, time: _time, msg, ...fields } = rec;
  const write = typeof level === 'string' && ['debug', 'info', 'warn', 'error', 'fatal', 'trace'].includes(level)
    ? log[level as 'info'].bind(log) : log.info.bind(log);
  write(fields, typeof msg === 'string' ? msg : '');
}

/**
 * S ingesters of the ring in S worker threads of this process (`-ingester.shards`). The module's
 * service is Running once every shard is, stops them all together, and fails when any shard fails.
 */
export class IngesterShards implements IngesterAdmin {
  readonly service: Service;
  readonly #configs: ShardConfig[];
  readonly #deps: IngesterShardsDeps;
  readonly #log: Logger;
  #shards: Shard[] = [];

  constructor(configs: ShardConfig[], deps: IngesterShardsDeps) {
    this.#configs = configs;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'ingester-shards' });
    deps.onRuntimeChange((v) => {
      for (const s of this.#shards) s.notify('runtime', v);
    });
    this.service = basicService('ingester', {
      starting: (signal) => this.#starting(signal),
      running: (signal) => this.#running(signal),
      stopping: () => this.#stopAll(),
    });
  }

  get count(): number {
    return this.#configs.length;
  }

  /** A client of the shard whose ring address is `addr`, over its worker's port; undefined when no shard has it. */
  inProcessClient(addr: string): IngesterClient | undefined {
    const s = this.#shards.find((x) => x.grpc.serves(addr));
    return s?.grpc.client(ingesterServiceDefinition) as IngesterClient | undefined;
  }

  async #starting(signal: AbortSignal): Promise<void> {
    this.#shards = this.#configs.map((cfg) => new Shard(cfg, this.#deps));
    try {
      await Promise.race([Promise.all(this.#shards.map((s) => s.running)), abortedPromise(signal)]);
    } catch (err) {
      await this.#stopAll();
      throw err;
    }
    this.#log.info({ shards: this.#shards.length }, 'ingester shards running');
  }

  /** Until stopped, every shard ended (shutdown API), or one failed. */
  async #running(signal: AbortSignal): Promise<void> {
    await Promise.race([Promise.all(this.#shards.map((s) => s.ended)), abortedPromise(signal)]);
  }

  async #stopAll(): Promise<void> {
    const results = await Promise.allSettled(this.#shards.map((s) => s.stop()));
    results.forEach((r, k) => {
      if (r.status === 'rejected') this.#log.error({ shard: k, err: r.reason }, 'stopping ingester shard');
    });
  }

  async flush(reason: string, tenants?: readonly string[]): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.call('flush', { reason, tenants })));
  }

  async shutdownAndFlush(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.call('shutdownAndFlush')));
  }

  /** Every tenant's stats, one row per tenant and shard (each shard is an ingester of its own). */
  async allUserStats(): Promise<UserIdStats[]> {
    return (await Promise.all(this.#shards.map((s) => s.call<UserIdStats[]>('allUserStats')))).flat();
  }

  /** Why the shards should not take traffic yet (the first one not ACTIVE), or undefined. */
  async notReadyReason(): Promise<string | undefined> {
    const reasons = await Promise.all(this.#shards.map((s) =>
      s.call<string | undefined>('notReady').catch((err: Error) => `ingester shard ${s.index}: ${err.message}`)));
    return reasons.find((r) => r !== undefined);
  }

  /** Every shard's metrics, without the ring-view gauges the main thread reports itself. */
  async metrics(): Promise<Metrics[]> {
    const all = await Promise.all(this.#shards.map((s) => s.metrics()));
    return all.map((ms) => ms.filter((m) => !ringViewMetricNames.has(m.name)));
  }
}
