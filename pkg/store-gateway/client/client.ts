// The door into store-gateways for queriers: one gRPC client per address, created on first use.
// Calls carry the tenant in metadata and a deadline; a Series stream is collected whole, since the
// querier merges every block's series before evaluating.
import { status, type ServiceError } from '@grpc/grpc-js';
import { grpcClientCredentials } from '../../tls/index.js';
import {
  StoreGatewayClient as GrpcStoreGatewayClient,
  type LabelNamesRequest,
  type LabelValuesRequest,
  type SeriesRequest,
  type StoredSeries,
} from '../../generated/myelin/storegateway.js';
import { QueryLimitError } from '../../limits/index.js';
import { tenantMetadata } from '../../tenant/index.js';

export interface SeriesResult {
  series: StoredSeries[];
  queriedBlocks: string[];
}

export interface LabelsResult {
  values: string[];
  queriedBlocks: string[];
}

/** What the querier needs of store-gateways; tests may implement it in-process. */
export interface StoreGatewayClients {
  /**
   * Streams the series of the named blocks; `onBatch` sees each message's series as it arrives (an
   * error it throws cancels the call and rejects with that error), and `signal` cancels the call.
   */
  series(addr: string, tenant: string, req: SeriesRequest, onBatch?: (series: StoredSeries[]) => void, signal?: AbortSignal): Promise<SeriesResult>;
  labelNames(addr: string, tenant: string, req: LabelNamesRequest): Promise<LabelsResult>;
  labelValues(addr: string, tenant: string, req: LabelValuesRequest): Promise<LabelsResult>;
  close(): void;
}

export interface ClientPoolOptions {
  /** Deadline of one call, milliseconds. */
  timeoutMs: number;
  /** Largest response message accepted, bytes. */
  maxRecvMsgSize: number;
  /** Transport security of the connections. */
  tls: Parameters<typeof grpcClientCredentials>[0];
  /** A client that reaches the store-gateway at `addr` without a socket, when it is this process's own. */
  inProcess?: (addr: string) => GrpcStoreGatewayClient | undefined;
}

export class StoreGatewayClientPool implements StoreGatewayClients {
  readonly #opts: ClientPoolOptions;
  readonly #clients = new Map<string, GrpcStoreGatewayClient>();

  constructor(opts: ClientPoolOptions) {
    this.#opts = opts;
  }

  #client(addr: string): GrpcStoreGatewayClient {
    let c = this.#clients.get(addr);
    if (c === undefined) {
      const { creds, options } = grpcClientCredentials(this.#opts.tls);
      c = this.#opts.inProcess?.(addr) ?? new GrpcStoreGatewayClient(addr, creds, { ...options, 'grpc.max_receive_message_length': this.#opts.maxRecvMsgSize });
      this.#clients.set(addr, c);
    }
    return c;
  }

  #deadline(): Date {
    return new Date(Date.now() + this.#opts.timeoutMs);
  }

  series(addr: string, tenant: string, req: SeriesRequest, onBatch?: (series: StoredSeries[]) => void, signal?: AbortSignal): Promise<SeriesResult> {
    return new Promise((resolve, reject) => {
      const out: SeriesResult = { series: [], queriedBlocks: [] };
      const stream = this.#client(addr).series(req, tenantMetadata(tenant), { deadline: this.#deadline() });
      const cancel = (): void => stream.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      const settle = (): void => signal?.removeEventListener('abort', cancel);
      stream.on('data', (msg: { series: StoredSeries[]; queriedBlocks: string[] }) => {
        try {
          onBatch?.(msg.series);
        } catch (err) {
          stream.cancel();
          settle();
          reject(err);
          return;
        }
        for (const s of msg.series) out.series.push(s);
        for (const b of msg.queriedBlocks) out.queriedBlocks.push(b);
      });
      stream.on('error', (err: ServiceError) => {
        settle();
        // A limit the store-gateway applied is the query's answer, not a failure to retry elsewhere.
        const limit = err.code === status.RESOURCE_EXHAUSTED ? QueryLimitError.fromMessage(err.details) : undefined;
        reject(limit ?? new Error(`series from store-gateway ${addr}`, { cause: err }));
      });
      stream.on('end', () => {
        settle();
        resolve(out);
      });
    });
  }

  labelNames(addr: string, tenant: string, req: LabelNamesRequest): Promise<LabelsResult> {
    return new Promise((resolve, reject) => {
      this.#client(addr).labelNames(req, tenantMetadata(tenant), { deadline: this.#deadline() }, (err, res) => {
        if (err !== null) reject(new Error(`label names from store-gateway ${addr}`, { cause: err }));
        else resolve({ values: res.names, queriedBlocks: res.queriedBlocks });
      });
    });
  }

  labelValues(addr: string, tenant: string, req: LabelValuesRequest): Promise<LabelsResult> {
    return new Promise((resolve, reject) => {
      this.#client(addr).labelValues(req, tenantMetadata(tenant), { deadline: this.#deadline() }, (err, res) => {
        if (err !== null) reject(new Error(`label values from store-gateway ${addr}`, { cause: err }));
        else resolve({ values: res.values, queriedBlocks: res.queriedBlocks });
      });
    });
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
