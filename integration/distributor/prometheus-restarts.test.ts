// A real Prometheus (Debian 2.42) scrapes itself every second and remote-writes to a single-process
// Myelin run with the README's config (configs/single-process.yaml). Myelin is stopped with
// SIGINT (Ctrl-C) and restarted on the same data directory three times while Prometheus writes,
// with the default (the head stays in the WAL) and with a flush on shutdown; then every sample
// Prometheus holds in its own TSDB over the test's range must be in Myelin, and each stop is quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemoteWritingPrometheus } from './remote-writing-prometheus.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

const singleProcessConfig = fileURLToPath(new URL('../../../configs/single-process.yaml', import.meta.url));
const RESTARTS = 3;

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

/** Every series' samples in (end - rangeSec, end] as `labels → "t=v"[]`, from a Prometheus-compatible API. */
async function samples(base: string, end: number, rangeSec: number, headers: Record<string, string> = {}): Promise<Map<string, string[]>> {
  const params = new URLSearchParams({ query: `{__name__=~".+"}[${rangeSec}s]`, time: String(end) });
  const res = await fetch(`${base}/api/v1/query?${params}`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json() as { data: { result: Matrix } };
  const out = new Map<string, string[]>();
  for (const r of body.data.result) {
    const key = Object.entries(r.metric).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
    out.set(key, r.values.map(([t, v]) => `${t}=${v}`));
  }
  return out;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

const cases: Record<string, string[]> = {
  'the README config': [],
  // Not the default: a flush must not make the rest of a scrape out of bounds after the restart.
  'flushing the head on shutdown': ['-blocks-storage.tsdb.flush-blocks-on-shutdown=true'],
};

for (const [name, flags] of Object.entries(cases)) test(`Ctrl-C and restart of a single-process Myelin while Prometheus remote-writes loses no sample (${name})`, { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-restarts-'));
  const http = await freePort();
  const grpc = await freePort();
  const base = `http://127.0.0.1:${http}`;
  let myelin: TestProcess | undefined;
  const start = async () => {
    myelin = startMyelinBinary([`-config.file=${singleProcessConfig}`,
      '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`, '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
      `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`, ...flags]);
    const p = myelin;
    await waitUntil(async () => !p.running || (await fetch(`${base}/ready`)).status === 200, { what: 'myelin ready', timeoutMs: 30_000, intervalMs: 50 });
    assert.ok(p.running, p.output);
  };
  await start();
  const prom = await RemoteWritingPrometheus.start(`${base}/api/v1/push`, 'anonymous');
  t.after(async () => {
    await prom.stop();
    await myelin?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const promMetrics = `${prom.url}/metrics`;
  const sent = () => metric(promMetrics, 'prometheus_remote_storage_samples_total');
  await waitUntil(async () => (await sent()) > 2000, { what: 'Prometheus to send samples', timeoutMs: 30_000, intervalMs: 200 });
  const from = Date.now() / 1000;

  const stops: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    const before = await sent();
    await waitUntil(async () => (await sent()) > before + 1000, { what: 'more samples sent', timeoutMs: 20_000, intervalMs: 200 });
    const s = Date.now();
    await myelin?.stop('SIGINT');
    stops.push(Date.now() - s);
    assert.equal(myelin?.child.exitCode, 0, myelin?.output);
    await start();
  }
  // Let Prometheus deliver everything up to `to`: its queue drained past it, nothing failed for good.
  const to = Date.now() / 1000 + 2;
  await waitUntil(async () => (await metric(promMetrics, 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds')) > to + 2
    && (await metric(promMetrics, 'prometheus_remote_storage_samples_pending')) === 0,
  { what: 'Prometheus to catch up', timeoutMs: 30_000, intervalMs: 200 });

  const range = Math.ceil(to - from);
  const want = await samples(prom.url, to, range);
  const got = await samples(`${base}/prometheus`, to, range);
  let missing = 0;
  let total = 0;
  const examples: string[] = [];
  for (const [series, values] of want) {
    const have = new Set(got.get(series) ?? []);
    for (const v of values) {
      total++;
      if (!have.has(v)) {
        missing++;
        if (examples.length < 5) examples.push(`${series} ${v}`);
      }
    }
  }
  assert.ok(total > 5000, `${total} samples compared`);
  assert.equal(missing, 0, `${missing} of ${total} samples Prometheus has are missing in Myelin, e.g.\n${examples.join('\n')}`);
  assert.equal(await metric(promMetrics, 'prometheus_remote_storage_samples_failed_total'), 0, 'Prometheus dropped nothing');
  for (const ms of stops) assert.ok(ms < 5000, `a clean stop took ${ms} ms`);
});
