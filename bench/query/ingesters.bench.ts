// The querier's read of recent data: IngestersQueryable over three ingesters (RF=3, each a real
// ingester behind its gRPC server on 127.0.0.1, in this process), node-exporter-like series, one
// select of every series with the QueryStream fan-out, the replica merge and iteration of every
// sample. Prints wall and CPU time per select (CPU: this process, so the ingesters' share too).
//
//   node dist/bench/query/ingesters.bench.js                 50,000 series × 10 samples, 5 runs
//   BENCH_SMOKE=1 node dist/bench/query/ingesters.bench.js   2,000 series, 2 runs
//   node --expose-gc dist/bench/query/ingesters.bench.js     also the heap the heads keep afterwards
//
// Env: BENCH_SERIES, BENCH_SAMPLES, BENCH_RUNS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '../../pkg/distributor/testing.js';
import { defaults } from '../../pkg/flagext/index.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { IngesterConn, ingesterClientConfig } from '../../pkg/ingester/client/index.js';
import { startTestIngester, type TestIngester } from '../../pkg/ingester/testing.js';
import { MemoryClient, MemoryStore } from '../../pkg/kv/index.js';
import { Matcher, MatchType } from '../../pkg/model/labels/index.js';
import { IngestersQueryable } from '../../pkg/querier/index.js';
import { InstanceState, Ring, instanceDescCodec, ringConfig } from '../../pkg/ring/index.js';
import { ValueType } from '../../pkg/storage/index.js';
import { nodeExporterSeries } from '../ingest/node-exporter-series.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const SERIES = env('BENCH_SERIES', 50_000, 2_000);
const SAMPLES = env('BENCH_SAMPLES', 10, 2);
const RUNS = env('BENCH_RUNS', 5, 2);

const kv = new MemoryStore();
const bucketDir = mkdtempSync(join(tmpdir(), 'bench-ingesters-'));
const limits = { maxSeriesPerUser: 0, maxSeriesPerMetric: 0, ingestionRate: 1e9, ingestionBurstSize: 1e9 };
const ings: TestIngester[] = [];
for (const id of ['a', 'b', 'c']) ings.push(await startTestIngester({ id, kv, bucketDir, rf: 3, limits }));
const ring = new Ring({ ...defaults(ringConfig('')), replicationFactor: 3 }, 'ingester', 'ingester',
  { kv: new MemoryClient(kv, instanceDescCodec, 'collectors/'), logger: silentLogger, registry: new Registry() });
ring.service.startAsync();
await ring.service.awaitRunning();
while (ring.snapshot().instances.filter((i) => i.state === InstanceState.ACTIVE).length < 3) await new Promise((r) => setTimeout(r, 20));
const conns = new Map(ring.snapshot().instances.map((i) => [i.addr, new IngesterConn(defaults(ingesterClientConfig), i.addr)]));

const sets = nodeExporterSeries(SERIES).map((s) => s.map(([name, value]) => ({ name, value })));
const now = Date.now();
for (let round = 0; round < SAMPLES; round++) {
  for (let b = 0; b < sets.length; b += 2000) {
    const timeseries = sets.slice(b, b + 2000).map((labels, i) => ({ labels, samples: [{ timestamp: now - (SAMPLES - round) * 15_000, value: round + i }], exemplars: [], histograms: [] }));
    const body = Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish());
    await Promise.all([...conns.values()].map((c) => c.pushRaw('t', body, { deadline: Date.now() + 30_000 })));
  }
}

const q = new IngestersQueryable('t', { ring, client: (addr) => conns.get(addr) as IngesterConn, timeout: 60_000 });
const all = new Matcher(MatchType.Regexp, '__name__', 'node_.+');
const cpu: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const querier = await q.querier(now - 3_600_000, now);
  const ss = querier.select({ start: now - 3_600_000, end: now, step: 0, func: '', range: 0, sortSeries: true }, all);
  let series = 0;
  let samples = 0;
  while (await ss.next()) {
    series++;
    const it = ss.at().iterator();
    while (it.next() !== ValueType.None) samples++;
  }
  const err = ss.err();
  if (err !== undefined) throw err;
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  console.log(`run ${run}: ${series} series, ${samples} samples: ${(performance.now() - t0).toFixed(0)} ms wall, ${cpu[run].toFixed(0)} ms CPU`);
}
cpu.sort((a, b) => a - b);
console.log(`select of ${SERIES} series × ${SAMPLES} samples from 3 ingesters (RF=3): median ${cpu[Math.floor(cpu.length / 2)].toFixed(0)} ms CPU, ${((cpu[Math.floor(cpu.length / 2)] * 1000) / SERIES).toFixed(1)} µs CPU per series`);

// What the heads keep after being read (with --expose-gc): a read must not leave a string per series.
if (global.gc !== undefined) {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    global.gc();
  }
  const heap = process.memoryUsage().heapUsed;
  console.log(`heap after the selects: ${(heap / 2 ** 20).toFixed(1)} MiB, ${(heap / (3 * SERIES)).toFixed(0)} B per series per ingester`);
}

for (const c of conns.values()) c.close();
ring.service.stopAsync();
await ring.service.awaitTerminated();
for (const i of ings) await i.stop();
rmSync(bucketDir, { recursive: true, force: true });
