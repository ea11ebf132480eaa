// What the main thread and a query worker tell each other (docs/architecture.md, "Process model").
import type { ApiRequest } from '../../api/prometheus/index.js';
import type { LogFormat, LogLevel } from '../../log/index.js';
import type { InstanceDesc, LookupConfig } from '../../ring/index.js';
import type { QueryLimits, QueryStats } from '../../limits/index.js';
import type { ReadPathConfig } from './read-path.js';

/** A query worker's `workerData`. */
export interface QueryWorkerData {
  readPath: ReadPathConfig;
  ingesterRing: LookupConfig;
  storeGatewayRing: LookupConfig;
  log: { level: LogLevel; format: LogFormat };
}

/** The fields a task adds to its ApiRequest. */
export interface QueryTaskExtras {
  /** The rings' layouts, present when they changed since this worker's last task. */
  rings?: { ingesters: InstanceDesc[]; storeGateways: InstanceDesc[] };
  /** Heartbeat timestamps in snapshot order, with every task. */
  heartbeats: { ingesters: number[]; storeGateways: number[] };
  /** The limits of every tenant the request names. */
  limits: Record<string, QueryLimits>;
  /** The caller takes a streamed body as it is made (the pool's onData); otherwise it comes whole in the answer. */
  stream: boolean;
}

export type QueryTask = { method: 'api'; args: ApiRequest; deadline: number } & QueryTaskExtras;

/** A worker's answer: the API answer with its body as bytes (UTF-8 JSON, or remote read's protobuf), handed over without a copy. */
export interface QueryTaskAnswer {
  status: number;
  body: Uint8Array;
  errorType?: string;
  error?: string;
  headers?: Record<string, string>;
  stats?: QueryStats;
}
