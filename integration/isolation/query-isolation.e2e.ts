// Queries that cannot stall the process (issue 14): one Myelin process (-target=all, the README's
// config) holding a few thousand series, and query-of-death shapes sent to it while a writer pushes
// and a Grafana-like client asks a trivial query every 50 ms. Each heavy query must get its own
// answer (status and message), the push and the trivial query must keep answering fast throughout,
// and the process must keep running with its memory back near where it was. It runs last and alone
// (npm run test:isolation): its latencies mean something only on a machine not busy with other tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remoteWriteBody } from '../e2e/cluster.js';
import type { TestSeries } from '../e2e/cluster.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const timeoutSeconds = 3;

interface Myelin {
  proc: TestProcess;
  base: string;
}

async function start(dir: string): Promise<Myelin> {
  const [http, grpc] = [await freePort(), await freePort()];
  const proc = startMyelinBinary([`-config.file=${join(repo, 'configs/single-process.yaml')}`,
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    `-querier.timeout=${timeoutSeconds}s`, '-querier.max-concurrent=2',
    '-distributor.ingestion-rate-limit=10000000', '-distributor.ingestion-burst-size=10000000']);
  const base = `http://127.0.0.1:${http}`;
  try {
    await waitUntil(async () => (await fetch(`${base}/ready`)).status === 200, { what: `myelin ready\n${proc.output}`, timeoutMs: 30_000 });
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return { proc, base };
}

/** 2,000 series of one metric over the last 30 minutes at 15 s, long label values included. */
function dataset(now: number): TestSeries[][] {
  const batches: TestSeries[][] = [];
  for (let b = 0; b < 4; b++) {
    const batch: TestSeries[] = [];
    for (let i = b * 500; i < (b + 1) * 500; i++) {
      const samples: [number, number][] = [];
      for (let t = now - 30 * 60_000; t <= now; t += 15_000) samples.push([t, i + t / 1000]);
      batch.push({ labels: { __name__: 'load_total', instance: `host-${i}`, path: `/${'a'.repeat(2000)}${i}` }, samples });
    }
    batches.push(batch);
  }
  return batches;
}

async function push(m: Myelin, series: TestSeries[]): Promise<Response> {
  return fetch(`${m.base}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    body: remoteWriteBody(series),
  });
}

function query(m: Myelin, q: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${m.base}/prometheus/api/v1/query?query=${encodeURIComponent(q)}`, { signal });
}

/** CPU seconds the process's main thread (its task with the process's own ID) has used. */
function mainThreadCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/**
 * Pushes one sample and asks `up{instance="x"}` every 50 ms until `done` settles; returns the
 * latencies. Every push must be acknowledged and every query answered 200.
 */
async function probe(m: Myelin, done: Promise<unknown>): Promise<{ push: number[]; query: number[] }> {
  const out = { push: [] as number[], query: [] as number[] };
  let finished = false;
  void done.finally(() => (finished = true));
  for (let i = 0; !finished; i++) {
    const t0 = performance.now();
    const p = await push(m, [{ labels: { __name__: 'up', instance: 'x' }, samples: [[Date.now(), i]] }]);
    out.push.push(performance.now() - t0);
    assert.equal(p.status, 200, await p.text());
    const t1 = performance.now();
    const q = await query(m, 'up{instance="x"}');
    out.query.push(performance.now() - t1);
    assert.equal(q.status, 200, await q.text());
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
}

test('heavy queries get their own answers while pushes and trivial queries keep answering fast', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-isolation-'));
  const m = await start(dir).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  t.after(async () => {
    // The process first: it may still write into the directory.
    await m.proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const now = Date.now();
  for (const batch of dataset(now)) {
    const r = await push(m, batch);
    assert.equal(r.status, 200, await r.text());
  }
  // Warm: every worker has served a query.
  for (let i = 0; i < 4; i++) assert.equal((await query(m, 'count(load_total)')).status, 200);
  const pid = m.proc.pid as number;
  const rssBefore = rssBytes(pid);

  const cases: Record<string, { query: string; status: number; message: RegExp; abortAfterMs?: number }> = {
    'a long subquery is stopped at -querier.timeout': {
      query: 'max_over_time(rate(load_total[1m])[30d:1s])', status: 503, message: /query timed out/,
    },
    'count_values over every series answers': {
      query: 'count(count_values("v", load_total))', status: 200, message: /"result"/,
    },
    'a client that goes away cancels its query': {
      query: 'max_over_time(rate(load_total[1m])[30d:1s])', status: 0, message: /./, abortAfterMs: 300,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const ac = new AbortController();
      const started = performance.now();
      const cpuBefore = mainThreadCpu(pid);
      const heavy = query(m, c.query, ac.signal).then(async (r) => ({ status: r.status, body: await r.text() }), (err: unknown) => {
        if (ac.signal.aborted) return { status: 0, body: 'aborted by the client' };
        throw err;
      });
      if (c.abortAfterMs !== undefined) setTimeout(() => ac.abort(), c.abortAfterMs);
      const [answer, lat] = await Promise.all([heavy, probe(m, heavy)]);
      const took = performance.now() - started;
      const mainCpu = mainThreadCpu(pid) - cpuBefore;
      assert.equal(answer.status, c.status, answer.body);
      assert.match(answer.body, c.message);
      assert.ok(took < (timeoutSeconds + 1.5) * 1000, `answered after ${took.toFixed(0)} ms`);
      const fmt = (xs: number[]) => `median ${quantile(xs, 0.5).toFixed(1)} p95 ${quantile(xs, 0.95).toFixed(1)} max ${Math.max(...xs).toFixed(1)} ms`;
      const probes = `main thread ${(mainCpu * 1000).toFixed(0)} ms CPU in ${took.toFixed(0)} ms; ${lat.push.length} probes; push ${fmt(lat.push)}; trivial query ${fmt(lat.query)}`;
      t.diagnostic(`${name}: ${probes}`);
      // The heavy work is the workers': the main thread only served the probes (a few per second).
      if (took > 1000) assert.ok(mainCpu * 1000 < 0.25 * took, probes);
      // Were the main thread or every worker held by the heavy query, every probe in its time would wait for it.
      assert.ok(quantile(lat.push, 0.5) < 100 && quantile(lat.query, 0.5) < 100, probes);
      assert.ok(Math.max(...lat.push) < 1000 && Math.max(...lat.query) < 1000, probes);
    });
  }
  // The abandoned queries' workers were stopped or replaced: the process is back near its memory.
  await waitUntil(() => rssBytes(pid) < rssBefore + 200 * (1 << 20), { what: `RSS back near ${rssBefore} bytes (now ${rssBytes(pid)})`, timeoutMs: 20_000 });
  const metrics = await (await fetch(`${m.base}/metrics`)).text();
  assert.match(metrics, /myelin_querier_worker_tasks_total\{outcome="timeout"\} [1-9]/);
  assert.match(metrics, /myelin_querier_worker_tasks_total\{outcome="canceled"\} [1-9]/);
  assert.ok(m.proc.running, 'the process kept running');
});
