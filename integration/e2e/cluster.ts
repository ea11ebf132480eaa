// A Myelin cluster in microservices mode for end-to-end tests: etcd, Redis and a GCS emulator, then
// a query-frontend, 2 distributors, 3 ingesters (RF=3), 2 queriers taking work from the frontend,
// 2 store-gateways and a compactor, each its own
// `myelin` process started from its configs/microservices/<component>.yaml, on 127.0.0.1 with free
// ports and a temporary directory. Every process's output goes to <dir>/logs/<name>.log.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { FakeGcsServer } from '../../pkg/bucket/gcs/testing/fake-gcs-server.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import { EtcdServer, freePort, RedisServer, startMyelinBinary, type TestProcess, waitUntil } from '../../pkg/testutil/index.js';

/**
 * How long a process may take to become ready: 60 s, or $MYELIN_E2E_READY_TIMEOUT_MS. `npm test`
 * runs two cluster files at once, so on a 2-core machine two dozen processes (and their worker
 * threads) start together; a querier once took over 30 s there (it starts in ~2 s alone).
 */
const readyTimeout = Number(process.env.MYELIN_E2E_READY_TIMEOUT_MS ?? 60_000);

export type Component = 'distributor' | 'ingester' | 'querier' | 'store-gateway' | 'compactor' | 'ruler' | 'query-frontend';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const BUCKET = 'myelin-e2e';

/**
 * Flags each component gets on top of its config file. The configs are the ones an operator runs;
 * these only place the process (ports, IDs, directories) and shorten the intervals a test cannot
 * wait out.
 */
function componentFlags(c: Component, name: string, dir: string): string[] {
  switch (c) {
    case 'distributor':
      return [`-distributor.ring.lifecycler.ID=${name}`];
    case 'ingester':
      return [`-ingester.lifecycler.ID=${name}`, `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-ingester.tokens-file-path=${dir}/tokens`,
        // Join at once (the joiner of a transfer overrides this), and heartbeat often so the ring
        // pages show fresh state within a test's patience.
        '-ingester.join-after=0s', '-ingester.heartbeat-period=1s'];
    case 'querier':
      // The test data is minutes old, far younger than the 12h after which blocks are queried by
      // default: ask the store-gateways for every range so blocks are part of every answer.
      return ['-querier.query-store-after=0s'];
    case 'store-gateway':
      return [`-store-gateway.sharding-ring.lifecycler.ID=${name}`, `-blocks-storage.bucket-store.sync-dir=${dir}/sync`,
        '-blocks-storage.bucket-store.sync-interval=1s', '-store-gateway.sharding-ring.heartbeat-period=1s'];
    case 'compactor':
      return ['-blocks-storage.bucket-store.bucket-index.update-interval=1s'];
    case 'ruler':
      // Its in-process distributor joins the distributor ring too, under its own name.
      return [`-distributor.ring.instance-id=${name}-distributor`, `-ruler.ring.instance-id=${name}`, '-ruler.ring.heartbeat-period=1s',
        '-ruler.ring.heartbeat-timeout=4s', '-ruler.poll-interval=2s', '-ruler.evaluation-interval=1s', '-querier.query-store-after=0s'];
    case 'query-frontend':
      return [];
  }
}

/** One `myelin` process of the cluster; it can be stopped, killed and started again on the same ports and directory. */
export class MyelinProcess {
  readonly name: string;
  readonly component: Component;
  readonly dataDir: string;
  readonly logFile: string;
  #extra: string[];
  #env: Record<string, string>;
  #nodeArgs: string[];
  #proc: TestProcess | undefined;
  #http: number;
  #grpc: number;
  /** Set once the process came up: its ports are known to the ring and to clients from then on. */
  #started = false;

  constructor(o: { name: string; component: Component; http: number; grpc: number; dataDir: string; logFile: string; extra: string[]; env: Record<string, string>; nodeArgs: string[] }) {
    this.name = o.name;
    this.component = o.component;
    this.#http = o.http;
    this.#grpc = o.grpc;
    this.dataDir = o.dataDir;
    this.logFile = o.logFile;
    this.#extra = o.extra;
    this.#env = o.env;
    this.#nodeArgs = o.nodeArgs;
  }

  /** The HTTP port; fixed once the process has started. */
  get http(): number {
    return this.#http;
  }

  /** The gRPC port; fixed once the process has started. */
  get grpc(): number {
    return this.#grpc;
  }

  get running(): boolean {
    return this.#proc?.running ?? false;
  }

  get exitCode(): number | null {
    return this.#proc?.child.exitCode ?? null;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.http}${path}`;
  }

  /**
   * Starts the process (again) and waits until it listens and /ready answers 200. freePort() can
   * race with other processes on the machine: a first start that loses its port (EADDRINUSE) moves
   * to new ones; a restart keeps its ports, as a restarted pod keeps its address.
   */
  async start(extra: string[] = []): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const proc = await this.#spawn(extra);
      if (proc.running) return;
      if (this.#started || attempt === 3 || !proc.output.includes('EADDRINUSE')) {
        throw new Error(`${this.name} exited with ${proc.child.exitCode}:\n${proc.output}`);
      }
      this.#http = await freePort();
      this.#grpc = await freePort();
    }
  }

  async #spawn(extra: string[]): Promise<TestProcess> {
    mkdirSync(this.dataDir, { recursive: true });
    const args = [`-config.file=${join(repoRoot, 'configs', 'microservices', `${this.component}.yaml`)}`, '-config.expand-env=true',
      '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${this.#http}`,
      '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${this.#grpc}`,
      ...componentFlags(this.component, this.name, this.dataDir), ...this.#extra, ...extra];
    const proc = startMyelinBinary(args, { name: this.name, env: this.#env, logFile: this.logFile, nodeArgs: this.#nodeArgs });
    this.#proc = proc;
    // Only a /ready after our own "server listening" line is ours: another process may hold the port.
    let listening = false;
    await waitUntil(async () => {
      if (!proc.running) return true;
      listening ||= proc.output.includes('msg="server listening"');
      return listening && (await fetch(this.url('/ready'))).status === 200;
    }, { what: `${this.name} /ready`, timeoutMs: readyTimeout, intervalMs: 100 });
    if (proc.running) this.#started = true;
    return proc;
  }

  /** Sends `signal` (SIGTERM: graceful, SIGKILL: a crash) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.#proc?.stop(signal);
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.url(path), { headers });
  }

  /** The sum of every series of metric `name` on this process's /metrics whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(this.url('/metrics'))).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
      if (m === null || m[1] !== name) continue;
      const have = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  /** The instances of a ring page (`/ingester/ring`, `/store-gateway/ring`) as this process sees them. */
  async ring(path: string): Promise<{ id: string; state: string; healthy: boolean }[]> {
    const r = await fetch(this.url(path), { headers: { accept: 'application/json' } });
    if (r.status !== 200) throw new Error(`${this.name} ${path}: ${r.status}`);
    return ((await r.json()) as { instances: { id: string; state: string; healthy: boolean }[] }).instances;
  }
}

export interface ClusterOptions {
  /** Extra flags for every process of a component. */
  flags?: Partial<Record<Component, string[]>>;
  /** Node flags of a process, by its name (benchmarks: --cpu-prof). */
  nodeArgs?: (name: string) => string[];
}

export class Cluster {
  readonly dir: string;
  readonly etcd: EtcdServer;
  readonly redis: RedisServer;
  readonly gcs: FakeGcsServer;
  readonly distributors: MyelinProcess[] = [];
  readonly ingesters: MyelinProcess[] = [];
  readonly queriers: MyelinProcess[] = [];
  readonly storeGateways: MyelinProcess[] = [];
  readonly compactors: MyelinProcess[] = [];
  /** Started by the tests that need them (newProcess('ruler', ...)), not by start(). */
  readonly rulers: MyelinProcess[] = [];
  readonly queryFrontends: MyelinProcess[] = [];
  readonly #opts: ClusterOptions;

  private constructor(dir: string, etcd: EtcdServer, redis: RedisServer, gcs: FakeGcsServer, opts: ClusterOptions) {
    this.dir = dir;
    this.etcd = etcd;
    this.redis = redis;
    this.gcs = gcs;
    this.#opts = opts;
  }

  /** Starts the dependencies, then every Myelin process, and waits until the rings are complete. */
  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const dir = await mkdtemp(join(tmpdir(), 'myelin-cluster-'));
    mkdirSync(join(dir, 'logs'));
    const gcs = new FakeGcsServer();
    await gcs.start();
    const [etcd, redis] = await Promise.all([EtcdServer.start(), RedisServer.start()]);
    const c = new Cluster(dir, etcd, redis, gcs, opts);
    try {
      // First: the queriers are told its gRPC address.
      const frontend = await c.newProcess('query-frontend', 'query-frontend-1');
      c.queryFrontends.push(frontend);
      await frontend.start();
      const plan: [Component, number, MyelinProcess[]][] = [
        ['ingester', 3, c.ingesters], ['store-gateway', 2, c.storeGateways], ['compactor', 1, c.compactors],
        ['distributor', 2, c.distributors], ['querier', 2, c.queriers],
      ];
      const starting: Promise<void>[] = [];
      for (const [component, n, list] of plan) {
        for (let i = 1; i <= n; i++) {
          const p = await c.newProcess(component, `${component}-${i}`);
          list.push(p);
          starting.push(p.start());
        }
      }
      await Promise.all(starting);
      await c.waitIngesterRing(3);
      await c.waitStoreGatewayRing(2);
    } catch (err) {
      c.failed = true;
      process.stderr.write(c.logTails());
      await c.stop();
      throw err;
    }
    return c;
  }

  /** A process of `component` on fresh ports, not started yet. */
  async newProcess(component: Component, name: string, extra: string[] = []): Promise<MyelinProcess> {
    return new MyelinProcess({
      name, component, http: await freePort(), grpc: await freePort(),
      dataDir: join(this.dir, name), logFile: join(this.dir, 'logs', `${name}.log`),
      extra: [...(this.#opts.flags?.[component] ?? []), ...extra],
      nodeArgs: this.#opts.nodeArgs?.(name) ?? [],
      env: {
        MYELIN_ETCD_ENDPOINTS: `127.0.0.1:${this.etcd.clientPort}`,
        MYELIN_REDIS_ADDRESS: `127.0.0.1:${this.redis.port}`,
        MYELIN_GCS_BUCKET: BUCKET,
        MYELIN_GCS_ENDPOINT: this.gcs.endpoint,
        MYELIN_FRONTEND_ADDRESS: `127.0.0.1:${this.queryFrontends[0]?.grpc ?? 0}`,
      },
    });
  }

  all(): MyelinProcess[] {
    return [...this.queryFrontends, ...this.distributors, ...this.ingesters, ...this.queriers, ...this.storeGateways, ...this.compactors, ...this.rulers];
  }

  /** Waits until every running distributor and querier sees `n` ACTIVE, healthy ingesters (and nothing else). */
  async waitIngesterRing(n: number, timeoutMs = 30_000): Promise<void> {
    const viewers = [...this.distributors, ...this.queriers, ...this.ingesters].filter((p) => p.running);
    await waitUntil(async () => {
      for (const p of viewers) {
        const inst = await p.ring('/ingester/ring');
        if (inst.length !== n || !inst.every((i) => i.state === 'ACTIVE' && i.healthy)) return false;
      }
      return true;
    }, { what: `${n} ACTIVE ingesters in every ring view`, timeoutMs, intervalMs: 200 });
  }

  async waitStoreGatewayRing(n: number, timeoutMs = 30_000): Promise<void> {
    await waitUntil(async () => {
      for (const p of this.storeGateways.filter((s) => s.running)) {
        const inst = await p.ring('/store-gateway/ring');
        if (inst.length !== n || !inst.every((i) => i.state === 'ACTIVE' && i.healthy)) return false;
      }
      return true;
    }, { what: `${n} ACTIVE store-gateways`, timeoutMs, intervalMs: 200 });
  }

  /** POSTs a snappy-compressed remote-write body to a distributor (round robin unless named). */
  push(tenant: string, body: Uint8Array, distributor = this.#next(this.distributors)): Promise<Response> {
    return fetch(distributor.url('/api/v1/push'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'X-Scope-OrgID': tenant },
      body,
    });
  }

  /** GETs a Prometheus API path (`/api/v1/query`, ...) from a querier, or any process serving it (round robin unless named). */
  query(tenant: string, path: string, params: Record<string, string>, querier = this.#next(this.queriers)): Promise<Response> {
    return fetch(`${querier.url(`/prometheus${path}`)}?${new URLSearchParams(params)}`, { headers: { 'X-Scope-OrgID': tenant } });
  }

  #rr = 0;
  #next(list: MyelinProcess[]): MyelinProcess {
    const running = list.filter((p) => p.running);
    if (running.length === 0) throw new Error('no running process to send to');
    return running[this.#rr++ % running.length];
  }

  /** The last lines of every process's log, for a failed test. */
  logTails(lines = 40): string {
    const out: string[] = [];
    for (const f of readdirSync(join(this.dir, 'logs')).sort()) {
      const text = readFileSync(join(this.dir, 'logs', f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      out.push(`----- ${f} (last ${lines} lines) -----\n${text}\n`);
    }
    return out.join('');
  }

  /** Set by withLogsOnFailure: the cluster's directory (logs, data) is kept for a look afterwards. */
  failed = false;

  /**
   * Ends the test cluster: SIGKILL to every Myelin process it started (nothing is kept), then the
   * dependencies; its directory is removed unless a test failed.
   */
  async stop(): Promise<void> {
    await Promise.all(this.all().map((p) => p.stop('SIGKILL')));
    await Promise.all([this.etcd.close(), this.redis.stop(), this.gcs.stop()]);
    if (this.failed) process.stderr.write(`cluster logs and data kept in ${this.dir}\n`);
    else await rm(this.dir, { recursive: true, force: true });
  }
}

export interface TestSeries {
  labels: Record<string, string>;
  /** [timestamp ms, value] */
  samples: [number, number][];
}

/** The prometheus.WriteRequest protobuf holding `series`, uncompressed. */
export function writeRequestBytes(series: TestSeries[]): Buffer {
  return Buffer.from(WriteRequest.encode({
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
      exemplars: [],
      histograms: [],
    })),
    metadata: [],
  }).finish());
}

/** A remote-write 1.0 body (snappy-compressed prometheus.WriteRequest) holding `series`. */
export function remoteWriteBody(series: TestSeries[]): Uint8Array {
  return snappyEncode(writeRequestBytes(series));
}

/**
 * `t.test(name, fn)` whose failure also fails the caller. Node's test runner reports a failed
 * subtest without rethrowing it, so a withLogsOnFailure around the subtests printed no logs.
 */
export async function subtest(t: TestContext, name: string, fn: () => Promise<void>): Promise<void> {
  let failure: unknown;
  await t.test(name, async () => {
    try {
      await fn();
    } catch (err) {
      failure = err;
      throw err;
    }
  });
  if (failure !== undefined) throw failure;
}

/**
 * Runs `fn` and, when it fails, prints every process's log tail before rethrowing, so a red CI run
 * shows what the cluster said.
 */
export async function withLogsOnFailure(cluster: Cluster, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    cluster.failed = true;
    process.stderr.write(cluster.logTails());
    throw err;
  }
}
