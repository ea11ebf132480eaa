// A single-process Myelin (`-target=all`, RF=1) from the compiled binary, for tests against the
// real thing: ready once /ready answers and its ingester is ACTIVE in the ring.
import { remoteWriteBody, type TestSeries } from './cluster.js';
import { freePort, startMyelinBinary, waitUntil, type TestProcess } from '../../pkg/testutil/index.js';

export interface SingleMyelin {
  proc: TestProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  http: number;
  grpc: number;
}

/**
 * Starts Myelin on `dir` (TSDB and filesystem bucket under it) with `flags` after the defaults and
 * `env` added to this process's environment.
 */
export async function startSingleMyelin(dir: string, flags: string[] = [], ports?: { http: number; grpc: number }, env?: Record<string, string>): Promise<SingleMyelin> {
  const http = ports?.http ?? (await freePort());
  const grpc = ports?.grpc ?? (await freePort());
  const proc = startMyelinBinary([
    '-target=all', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`, '-server.grpc-listen-address=127.0.0.1',
    `-server.grpc-listen-port=${grpc}`, '-distributor.replication-factor=1', `-blocks-storage.tsdb.dir=${dir}/tsdb`,
    `-blocks-storage.filesystem.dir=${dir}/blocks`, '-ingester.max-transfer-retries=0', '-log.level=warn', ...flags,
  ], { env });
  // What /ready said last, for the error when it never says ready.
  let notReady = '';
  try {
    await waitUntil(async () => {
      if (!proc.running) throw new Error(`myelin exited: ${proc.output}`);
      const r = await fetch(`http://127.0.0.1:${http}/ready`);
      notReady = r.ok ? '' : await r.text();
      return r.ok;
    }, { timeoutMs: 60_000, what: 'myelin ready' }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; /ready said: ${notReady}; output: ${proc.output}`, { cause: err });
    });
    await waitUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
      return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
    }, { what: 'an ACTIVE ingester' });
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return { proc, base: `http://127.0.0.1:${http}`, http, grpc };
}

/** Remote-writes `series` as `tenant` to a Myelin at `base` (http://127.0.0.1:<port>); throws unless 2xx. */
export async function pushSeries(base: string, tenant: string, series: TestSeries[]): Promise<void> {
  const r = await fetch(`${base}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'X-Scope-OrgID': tenant },
    body: remoteWriteBody(series),
  });
  if (!r.ok) throw new Error(`push to ${base} as ${tenant}: ${r.status} ${await r.text()}`);
}
