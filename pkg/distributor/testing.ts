// Test helpers: fake ingesters (real gRPC servers on 127.0.0.1 implementing Push and the stats
// calls), a ring over them, and a distributor behind a real Server. Not used by production code.
import type { status} from '@grpc/grpc-js';
import type { TestContext } from 'node:test';
import { Server as GrpcServer, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { defaults } from '../flagext/index.js';
import { IngesterService, UsersStatsResponse, type UserStatsResponse } from '../generated/myelin/ingester.js';
import { WriteRequest } from '../generated/prometheus/remote.js';
import { ingesterClientConfig, ingesterClientFactory, writtenTrailers, type IngesterClientConfig, type WrittenCounts } from '../ingester/client/index.js';
import { jsonCodec, MemoryClient, MemoryStore, type KVClient } from '../kv/index.js';
import { limitsConfig, Overrides, type Limits } from '../limits/index.js';
import { RingSnapshot, RingView, type ReadRing } from '../ring/index.js';
import { instance, seededTokens } from '../ring/testing.js';
import { Server, serverConfig } from '../server/index.js';
import { orgIdFromMetadata, TenantResolver } from '../tenant/index.js';
import { snappyEncode } from '../wire/index.js';
import { encodeV2, type SeriesV2 } from '../wire/testing.js';
import { distributorConfig, type DistributorConfig } from './config.js';
import { Distributor } from './distributor.js';
import type { ReplicaDesc } from './ha-tracker.js';

export const contentTypeV2 = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

export const silentLogger = pino({ level: 'silent' });

export interface Received {
  tenant: string;
  req: WriteRequest;
}

/** A gRPC server implementing the ingester's Push (recording requests) and stats calls. */
export class FakeIngester {
  readonly received: Received[] = [];
  /** When set, Push fails with this gRPC status, saying it stored `written` when that is set (a real ingester's partial refusal). */
  failWith: { code: status; details: string; written?: WrittenCounts } | undefined = undefined;
  stats: UsersStatsResponse = UsersStatsResponse.create();
  readonly #server = new GrpcServer();
  port = 0;

  /** `port` 0 picks a free one; a restart passes the port it had, as a restarted ingester keeps its address. */
  static async start(port = 0): Promise<FakeIngester> {
    const f = new FakeIngester();
    f.#server.addService(IngesterService, {
      push: (call: ServerUnaryCall<WriteRequest, unknown>, cb: sendUnaryData<unknown>) => {
        const fail = f.failWith;
        if (fail !== undefined) return cb({ code: fail.code, details: fail.details, metadata: fail.written === undefined ? undefined : writtenTrailers(fail.written) });
        f.received.push({ tenant: orgIdFromMetadata(call.metadata) ?? '', req: call.request });
        cb(null, {});
      },
      allUserStats: (_call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<UsersStatsResponse>) => cb(null, f.stats),
      userStats: (_call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<UserStatsResponse>) => cb(null, f.stats.stats[0]?.data),
    });
    f.port = await new Promise<number>((resolve, reject) =>
      f.#server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    return f;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  samples(): number {
    return this.received.reduce((n, r) => n + r.req.timeseries.reduce((m, s) => m + s.samples.length, 0), 0);
  }

  series(): string[] {
    return this.received.flatMap((r) => r.req.timeseries.map((s) => `${r.tenant}:${s.labels.map((l) => `${l.name}=${l.value}`).join(',')}`));
  }

  stop(): void {
    this.#server.forceShutdown();
  }
}

export function ringOver(ingesters: FakeIngester[], rf: number): ReadRing {
  const descs = ingesters.map((f, i) => instance(`ingester-${i}`, seededTokens(i + 1, 64), { addr: f.addr }));
  return new RingView(new RingSnapshot(descs), { replicationFactor: rf, heartbeatTimeout: 0, zoneAwarenessEnabled: false }, Date.now);
}

export interface Harness {
  server: Server;
  distributor: Distributor;
  registry: Registry;
  url: string;
  push(tenant: string | undefined, req: WriteRequest, headers?: Record<string, string>): Promise<Response>;
  /** A remote write 2.0 push of `series` (see pkg/wire testing's requestV2). */
  pushV2(tenant: string, series: SeriesV2[], headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  ring: ReadRing;
  cfg?: (cfg: DistributorConfig) => void;
  clientCfg?: (cfg: IngesterClientConfig) => void;
  limits?: (l: Limits) => void;
  tenantLimits?: Map<string, Limits>;
  haKV?: KVClient<ReplicaDesc>;
  distributorRing?: ReadRing;
  now?: () => number;
}

export async function startDistributor(opts: HarnessOptions): Promise<Harness> {
  const registry = new Registry();
  const server = new Server(
    { ...defaults(serverConfig), httpListenAddress: '127.0.0.1', httpListenPort: 0, grpcListenAddress: '127.0.0.1', grpcListenPort: 0 },
    { logger: silentLogger, registry, tenants: new TenantResolver({ authEnabled: true }) },
  );
  const cfg = defaults(distributorConfig);
  opts.cfg?.(cfg);
  const limits = defaults(limitsConfig);
  opts.limits?.(limits);
  const tenantLimits = opts.tenantLimits ?? new Map();
  const clientCfg = defaults(ingesterClientConfig);
  opts.clientCfg?.(clientCfg);
  const distributor = new Distributor(cfg, {
    limits: new Overrides(limits, () => tenantLimits),
    ingesterRing: opts.ring,
    clientFactory: ingesterClientFactory(clientCfg),
    haKV: opts.haKV,
    distributorRing: opts.distributorRing,
    registry,
    logger: silentLogger,
    now: opts.now,
  });
  distributor.registerRoutes(server.http, (req) => server.tenant(req));
  const services = [server.service(), distributor.service()];
  for (const s of services) s.startAsync();
  await Promise.all(services.map((s) => s.awaitRunning()));
  const url = `http://127.0.0.1:${server.httpPort()}`;
  return {
    server,
    distributor,
    registry,
    url,
    push: (tenant, req, headers = {}) =>
      fetch(`${url}/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', ...(tenant === undefined ? {} : { 'x-scope-orgid': tenant }), ...headers },
        body: snappyEncode(Buffer.from(WriteRequest.encode(req).finish())),
      }),
    pushV2: (tenant, ss, headers = {}) =>
      fetch(`${url}/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': contentTypeV2, 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '2.0.0', 'x-scope-orgid': tenant, ...headers },
        body: snappyEncode(encodeV2(ss)),
      }),
    close: async () => {
      for (const s of services.reverse()) {
        s.stopAsync();
        await s.awaitTerminated();
      }
    },
  };
}

/** A distributor with the HA tracker on (memory KV), over an ingester of its own; both stop with `t`. */
export async function startHaDistributor(t: TestContext, limits: (l: Limits) => void = () => {}): Promise<{ ing2: FakeIngester; d: Harness }> {
  const ing2 = await FakeIngester.start();
  t.after(() => ing2.stop());
  const kv = new MemoryClient<ReplicaDesc>(new MemoryStore(), jsonCodec<ReplicaDesc>(), 'ha-tracker/');
  const d = await startDistributor({
    ring: ringOver([ing2], 1),
    haKV: kv,
    cfg: (c) => Object.assign(c.haTracker, { enableHaTracker: true, haTrackerUpdateTimeout: 1000, haTrackerUpdateTimeoutJitterMax: 0, haTrackerFailoverTimeout: 5000 }),
    limits: (l) => {
      l.acceptHaSamples = true;
      limits(l);
    },
  });
  t.after(() => d.close());
  return { ing2, d };
}

/** A series with sorted labels from `name` and `pairs`, one sample per timestamp. */
export function series(name: string, pairs: Record<string, string>, ts: number[] = [Date.now()]) {
  const labels = [['__name__', name], ...Object.entries(pairs)].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, v]) => ({ name: n, value: v }));
  return { labels, samples: ts.map((t, i) => ({ timestamp: t, value: i + 1 })), exemplars: [], histograms: [] };
}

/** The value of one sample of a metric in the registry's exposition, 0 when absent. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}
