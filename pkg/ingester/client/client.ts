// The one door into an ingester (Cortex pkg/ingester/client): a typed gRPC client per address,
// with the tenant in every call's metadata. The distributor pushes pre-encoded WriteRequests
// (pushRaw); queriers use the generated client for everything else.
import { Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { grpcClientCredentials } from '../../tls/index.js';
import { IngesterClient, UsersStatsResponse, UserStatsResponse, WriteResponse } from '../../generated/myelin/ingester.js';
import { tenantMetadata } from '../../tenant/index.js';
import type { IngesterClientConfig } from './config.js';

const pushPath = '/myelin.ingester.Ingester/Push';
const identity = (b: Buffer): Buffer => b;

export interface CallLimits {
  /** Absolute deadline in milliseconds since the epoch. */
  deadline: number;
}

export class IngesterConn {
  readonly addr: string;
  /** Largest message this client sends: the distributor splits pushes to fit. */
  readonly maxSendMsgSize: number;
  /** The generated client, for any call; every call must carry tenantMetadata(tenant). */
  readonly client: IngesterClient;

  /** `inProcess`: a client of this process's own ingester that needs no socket (pkg/server in-process-grpc). */
  constructor(cfg: IngesterClientConfig, addr: string, inProcess?: IngesterClient) {
    this.addr = addr;
    const g = cfg.grpcClientConfig;
    this.maxSendMsgSize = g.maxSendMsgSize;
    const { creds, options } = grpcClientCredentials(g);
    this.client = inProcess ?? new IngesterClient(addr, creds, {
      ...options,
      'grpc.max_receive_message_length': g.maxRecvMsgSize,
      'grpc.max_send_message_length': g.maxSendMsgSize,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': g.connectBackoffBaseDelay,
      'grpc.max_reconnect_backoff_ms': g.connectBackoffMaxDelay,
      ...(g.grpcCompression === 'gzip' ? { 'grpc.default_compression_algorithm': 2 } : {}),
    });
  }

  /** Sends an encoded prometheus.WriteRequest; rejects with the call's ServiceError. */
  pushRaw(tenant: string, body: Buffer, limits: CallLimits): Promise<void> {
    return new Promise((resolve, reject) => {
      const opts: CallOptions = { deadline: limits.deadline };
      this.client.makeUnaryRequest(pushPath, identity, WriteResponse.decode, body, tenantMetadata(tenant), opts, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  userStats(tenant: string, limits: CallLimits): Promise<UserStatsResponse> {
    return new Promise((resolve, reject) => {
      this.client.userStats({}, tenantMetadata(tenant), { deadline: limits.deadline }, (err: ServiceError | null, res?: UserStatsResponse) =>
        err ? reject(err) : resolve(res ?? UserStatsResponse.create()),
      );
    });
  }

  /** Stats of every tenant the ingester holds (a call on no tenant's behalf). */
  allUserStats(limits: CallLimits): Promise<UsersStatsResponse> {
    return new Promise((resolve, reject) => {
      this.client.allUserStats({}, new Metadata(), { deadline: limits.deadline }, (err: ServiceError | null, res?: UsersStatsResponse) =>
        err ? reject(err) : resolve(res ?? UsersStatsResponse.create()),
      );
    });
  }

  /**
   * Resolves once the channel is connected (connecting if idle), within `timeoutMs`. A stopped or
   * unreachable process fails it; keepalive pings catch a hung one.
   */
  checkHealth(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new Error(`ingester ${this.addr} not reachable within ${timeoutMs}ms`, { cause: err })) : resolve(),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The factory a ClientPool takes. */
export function ingesterClientFactory(cfg: IngesterClientConfig): (addr: string) => IngesterConn {
  return (addr) => new IngesterConn(cfg, addr);
}
