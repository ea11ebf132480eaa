// The main thread's side of query isolation: API requests become tasks for a pool of query
// workers (docs/architecture.md, "Process model"). The main thread adds what a worker cannot know
// (the rings, the tenant's limits, the deadline) and turns pool failures into Prometheus answers.
import { availableParallelism } from 'node:os';
import type { Registry } from 'prom-client';
import type { ApiAnswer, ApiExecutor, ApiRequest } from '../../api/prometheus/index.js';
import { errorOf, parseDuration } from '../../api/prometheus/index.js';
import type { Logger } from '../../log/index.js';
import { ErrorType } from '../../promql/index.js';
import { heartbeatsOf } from '../../ring/index.js';
import type { Ring } from '../../ring/index.js';
import { idleService } from '../../services/index.js';
import type { Service } from '../../services/index.js';
import { TenantSeparator } from '../../tenant/index.js';
import { TaskCanceledError, TaskTimeoutError, WorkerExitError, WorkerPool } from '../../workers/index.js';
import type { RpcChannel } from '../../workers/index.js';
import { onlyQueryLimits, type QueryLimits } from '../../limits/index.js';
import type { QueryTaskAnswer, QueryTaskExtras, QueryWorkerData } from './messages.js';

export interface QueryWorkersConfig {
  /** Workers, one query each at a time; 0: one per core. */
  maxConcurrent: number;
  /** -querier.timeout (ms). */
  timeout: number;
  /** V8 old-generation limit of each worker in bytes; 0: V8's default. */
  workerMaxHeapSize: number;
}

export interface QueryWorkersDeps {
  workerData: QueryWorkerData;
  ingesterRing: Ring;
  storeGatewayRing: Ring;
  limits: (tenant: string) => QueryLimits;
  /** The tenant's default for requests without a partial_response parameter. */
  partialResponse: (tenant: string) => boolean;
  logger: Logger;
  registry: Registry;
  /** Serves this process's own gRPC services to each new worker (pkg/server InProcessGrpcServer.serve). */
  connect: (rpc: RpcChannel) => void;
}

/** How long a worker may go on after its task was abandoned before it is terminated (ms). */
const killGrace = 500;

export class QueryWorkers {
  readonly #cfg: QueryWorkersConfig;
  readonly #deps: QueryWorkersDeps;
  readonly #pool: WorkerPool;
  /** Bumped on every ring layout change; each worker's last seen version. */
  #ringVersion = 0;
  readonly #sentVersion = new WeakMap<RpcChannel, number>();
  /** Each tenant Limits object's query limits, made once (overrides hand out the same object until they change). */
  readonly #queryLimits = new WeakMap<QueryLimits, QueryLimits>();

  constructor(cfg: QueryWorkersConfig, deps: QueryWorkersDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    const heapMb = Math.floor(cfg.workerMaxHeapSize / (1 << 20));
    this.#pool = new WorkerPool({
      name: 'querier',
      size: workerCount(cfg.maxConcurrent),
      script: new URL('./query-worker.js', import.meta.url),
      workerData: deps.workerData,
      resourceLimits: heapMb > 0 ? { maxOldGenerationSizeMb: heapMb } : undefined,
      killGrace,
      connect: deps.connect,
    }, { logger: deps.logger, registry: deps.registry });
    deps.ingesterRing.onChange(() => this.#ringVersion++);
    deps.storeGatewayRing.onChange(() => this.#ringVersion++);
  }

  service(): Service {
    return idleService('query-workers', {
      starting: () => this.#pool.start(),
      stopping: () => this.#pool.stop(),
    });
  }

  /** The workers' registries as JSON sets, for /metrics to sum with the process's registry. */
  metricsJson(): ReturnType<WorkerPool['metricsJson']> {
    return this.#pool.metricsJson();
  }

  /** The API executor that runs every request in a worker. */
  readonly execute: ApiExecutor = async (asked, signal, sink) => {
    const req = withPartialResponseDefault(asked, this.#deps.partialResponse);
    const deadline = Date.now() + Math.min(this.#cfg.timeout, requestedTimeout(req) ?? Infinity);
    try {
      const a = await this.#pool.run<QueryTaskAnswer>(req.tenant, 'api', req, { deadline, signal, prepare: (rpc) => this.#extras(rpc, req, sink !== undefined), onData: sink });
      return { status: a.status, body: Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength), errorType: a.errorType, error: a.error, headers: a.headers, stats: a.stats };
    } catch (err) {
      return this.#failure(err);
    }
  };

  #extras(rpc: RpcChannel, req: ApiRequest, stream: boolean): QueryTaskExtras {
    const ing = this.#deps.ingesterRing.snapshot();
    const sg = this.#deps.storeGatewayRing.snapshot();
    const limits: Record<string, QueryLimits> = {};
    for (const t of req.tenant.split(TenantSeparator)) limits[t] = this.#onlyQueryLimits(this.#deps.limits(t));
    const extras: QueryTaskExtras = { heartbeats: { ingesters: heartbeatsOf(ing), storeGateways: heartbeatsOf(sg) }, limits, stream };
    if (this.#sentVersion.get(rpc) !== this.#ringVersion) {
      this.#sentVersion.set(rpc, this.#ringVersion);
      extras.rings = { ingesters: [...ing.instances], storeGateways: [...sg.instances] };
    }
    return extras;
  }

  #onlyQueryLimits(all: QueryLimits): QueryLimits {
    let l = this.#queryLimits.get(all);
    if (l === undefined) this.#queryLimits.set(all, (l = onlyQueryLimits(all)));
    return l;
  }

  #failure(err: unknown): ApiAnswer {
    if (err instanceof TaskTimeoutError) {
      return errorOf(ErrorType.Timeout, err.queued ? 'query timed out in query queue' : 'query timed out in query execution');
    }
    if (err instanceof TaskCanceledError) return errorOf(ErrorType.Canceled, 'query was canceled');
    if (err instanceof WorkerExitError && err.outOfMemory) {
      return errorOf(ErrorType.Execution, `query exceeded the memory limit of a query worker (-querier.worker-max-heap-size=${this.#cfg.workerMaxHeapSize} bytes)`);
    }
    this.#deps.logger.error({ err }, 'query worker failed');
    return errorOf(ErrorType.Internal, `query worker failed: ${(err as Error).message}`);
  }
}

/** A request that does not say whether it takes a partial response gets its tenants' default (every tenant must allow it). */
export function withPartialResponseDefault(req: ApiRequest, partialResponse: (tenant: string) => boolean): ApiRequest {
  if (req.params.partial_response !== undefined) return req;
  if (!req.tenant.split(TenantSeparator).every(partialResponse)) return req;
  return { ...req, params: { ...req.params, partial_response: 'true' } };
}

/** `-querier.max-concurrent`, with 0 meaning one worker per core. */
export function workerCount(maxConcurrent: number): number {
  return maxConcurrent > 0 ? maxConcurrent : availableParallelism();
}

/** The request's own `timeout` parameter (ms), when it has a valid one; the worker reports a bad one. */
function requestedTimeout(req: ApiRequest): number | undefined {
  const v = req.params.timeout;
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === '') return undefined;
  try {
    return parseDuration(s, 'timeout');
  } catch {
    return undefined;
  }
}
