// The servers the benchmarks compare, each its own process on 127.0.0.1 on free ports: Myelin (the
// binary, `-target=all`, RF=1, limits out of the way), Prometheus 2.42 with its remote-write
// receiver and VictoriaMetrics (Debian packages), optionally pinned to one core with `taskset`
// (BENCH_PIN_CPU=<core>); and readers of a process's CPU time and resident memory from /proc.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { freePort, myelinBinary, TestProcess, waitUntil } from '../../pkg/testutil/index.js';

export interface BenchServer {
  /** Short name for tables: myelin, prometheus, victoria-metrics. */
  readonly name: string;
  readonly proc: TestProcess;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Remote-write path. */
  readonly push: string;
  /** Where /api/v1/query and friends live (Myelin: /prometheus). */
  readonly apiPrefix: string;
  readonly pid: number;
}

const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/<pid>/stat), 1/CLK_TCK resolution. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clkTck;
}

/** CPU seconds (and the system part) per thread id of `pid`, with the thread's name (/proc/<pid>/task/<tid>/stat). */
export async function threadCpu(pid: number): Promise<Map<number, { cpu: number; sys: number; name: string }>> {
  const out = new Map<number, { cpu: number; sys: number; name: string }>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { cpu: (Number(f[11]) + Number(f[12])) / clkTck, sys: Number(f[12]) / clkTck, name });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

export async function rssBytes(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** `cmd args` under `taskset -c $BENCH_PIN_CPU` when set (taskset execs, so the PID stays the server's). */
export function pinned(cmd: string, args: string[]): [string, string[]] {
  const core = process.env.BENCH_PIN_CPU;
  return core !== undefined && core !== '' ? ['taskset', ['-c', core, cmd, ...args]] : [cmd, args];
}

/** Node flags for Myelin: --cpu-prof into $BENCH_CPU_PROF when set. */
export function nodeProfFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir !== undefined && dir !== '' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

async function ready(proc: TestProcess, url: string, what: string): Promise<void> {
  try {
    await waitUntil(async () => proc.running && (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok, { timeoutMs: 120_000, intervalMs: 100, what });
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${what}: ${proc.output}`, { cause: err });
  }
}

function server(name: string, proc: TestProcess, port: number, push: string, apiPrefix: string): BenchServer {
  if (proc.pid === undefined) throw new Error(`${name} did not start: ${proc.output}`);
  return { name, proc, url: `http://127.0.0.1:${port}`, push, apiPrefix, pid: proc.pid };
}

export interface MyelinOptions {
  /** Data directory (TSDB, filesystem bucket, store-gateway sync dir). */
  dir: string;
  /** Ports to reuse (a restart on the same data); free ones otherwise. */
  httpPort?: number;
  grpcPort?: number;
  /** More flags, after the defaults (a later flag wins). */
  flags?: string[];
  /** Never pinned to one core, even with BENCH_PIN_CPU (a run meant to use every core). */
  unpinned?: boolean;
}

export const MYELIN_BINARY = myelinBinary;

/** Myelin `-target=all`, RF=1, ingestion and series limits out of the way; resolves once /ready. */
export async function startMyelin(o: MyelinOptions): Promise<BenchServer & { httpPort: number; grpcPort: number }> {
  const httpPort = o.httpPort ?? (await freePort());
  const grpcPort = o.grpcPort ?? (await freePort());
  const args = [
    ...nodeProfFlags(), MYELIN_BINARY, '-target=all', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${httpPort}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpcPort}`, '-log.level=warn',
    `-blocks-storage.tsdb.dir=${o.dir}/tsdb`, `-blocks-storage.filesystem.dir=${o.dir}/blocks`,
    `-blocks-storage.bucket-store.sync-dir=${o.dir}/sync`, '-distributor.replication-factor=1',
    '-distributor.ingestion-rate-limit=1e12', '-distributor.ingestion-burst-size=1000000000000', '-ingester.max-series-per-user=0',
    '-ingester.max-series-per-metric=0', ...(o.flags ?? []),
  ];
  const proc = new TestProcess('myelin', ...(o.unpinned === true ? [process.execPath, args] as [string, string[]] : pinned(process.execPath, args)));
  const s = server('myelin', proc, httpPort, '/api/v1/push', '/prometheus');
  await ready(proc, `${s.url}/ready`, 'myelin ready');
  return { ...s, httpPort, grpcPort };
}

/** Prometheus 2.42 on `dataDir` with its remote-write receiver; `flags` are added. */
export async function startPrometheus(dir: string, dataDir: string, flags: string[] = []): Promise<BenchServer> {
  const port = await freePort();
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/prometheus.yml`, 'global: {}\n');
  const proc = new TestProcess('prometheus', ...pinned('/usr/bin/prometheus', [
    '--web.enable-remote-write-receiver', `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`,
    `--config.file=${dir}/prometheus.yml`, '--log.level=error', '--storage.tsdb.retention.time=100y', ...flags,
  ]));
  const s = server('prometheus', proc, port, '/api/v1/write', '');
  await ready(proc, `${s.url}/-/ready`, 'prometheus ready');
  return s;
}

/**
 * VictoriaMetrics on `dir`. Its rollup result cache is off (`-search.disableCache`) so a repeated
 * query is evaluated again as in the others, and `-search.latencyOffset=0s` so recent samples answer.
 */
export async function startVictoriaMetrics(dir: string): Promise<BenchServer> {
  const port = await freePort();
  const proc = new TestProcess('victoria-metrics', ...pinned('/usr/bin/victoria-metrics', [
    `-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-loggerLevel=ERROR', '-search.disableCache', '-search.latencyOffset=0s',
  ]));
  const s = server('victoria-metrics', proc, port, '/api/v1/write', '');
  await ready(proc, `${s.url}/health`, 'victoria-metrics ready');
  return s;
}
