// Ingester benchmark: Push throughput over gRPC (remote-write shaped: one new sample for each of
// many existing series per request), memory per active series, and WAL replay time on restart.
//
//   node --expose-gc dist/bench/ingester/push.bench.js            (BENCH_SERIES=1000000 for 1M)
//   BENCH_SMOKE=1 node --expose-gc dist/bench/ingester/push.bench.js
//
// Client and ingester run in this one process (the client sends pre-encoded requests), so the CPU
// figure is an upper bound on the ingester's own cost per sample.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaults } from '../../pkg/flagext/index.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { IngesterConn, ingesterClientConfig } from '../../pkg/ingester/client/index.js';
import { startTestIngester } from '../../pkg/ingester/testing.js';
import { MemoryStore } from '../../pkg/kv/index.js';

const smoke = process.env.BENCH_SMOKE === '1';
const seriesCount = Number(process.env.BENCH_SERIES ?? (smoke ? 2_000 : 200_000));
const rounds = Number(process.env.BENCH_ROUNDS ?? (smoke ? 3 : 20));
const perRequest = 2_000;
const concurrency = 4;
const gc = (globalThis as { gc?: () => void }).gc;

function labelsOf(i: number) {
  return [
    { name: '__name__', value: `node_metric_${i % 200}` },
    { name: 'cpu', value: String(i % 8) },
    { name: 'instance', value: `host-${Math.floor(i / 1600)}:9100` },
    { name: 'job', value: 'node' },
    { name: 'mode', value: ['idle', 'user', 'system', 'iowait'][i % 4] },
    { name: 'series', value: String(i) },
  ];
}

/** Pre-encoded requests for one round: every series gets one sample at `t`. */
function encodeRound(t: number, round: number): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < seriesCount; start += perRequest) {
    const timeseries = [];
    for (let i = start; i < Math.min(seriesCount, start + perRequest); i++) {
      timeseries.push({ labels: labelsOf(i), samples: [{ timestamp: t, value: round * 10 + (i % 7) }], exemplars: [], histograms: [] });
    }
    out.push(Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish()));
  }
  return out;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingester-'));
  const bucketDir = mkdtempSync(join(tmpdir(), 'bench-bucket-'));
  const kv = new MemoryStore();
  const tsdb = { flushBlocksOnShutdown: false, walFsync: 'segment' as const };
  let ti = await startTestIngester({ id: 'bench', kv, bucketDir, dataDir, tsdb, limits: { maxSeriesPerUser: 0, maxSeriesPerMetric: 0 } });
  const conn = new IngesterConn(defaults(ingesterClientConfig), ti.ing.lifecycler.ring.snapshot().instances[0].addr);
  const t0 = Date.now() - rounds * 15_000;
  gc?.();
  const heapBefore = process.memoryUsage();
  let samples = 0;
  let wallMs = 0;
  let cpuMs = 0;
  for (let r = 0; r < rounds; r++) {
    const bodies = encodeRound(t0 + r * 15_000, r);
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        await conn.pushRaw('bench', body, { deadline: Date.now() + 60_000 });
      }
    }));
    const cpu = process.cpuUsage(cpu0);
    if (r > 0) { // the first round creates the series; steady state is what remote write looks like
      wallMs += performance.now() - w0;
      cpuMs += (cpu.user + cpu.system) / 1000;
      samples += seriesCount;
    }
  }
  gc?.();
  const heapAfter = process.memoryUsage();
  const perSeries = (heapAfter.heapUsed + heapAfter.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers) / seriesCount;
  console.log(`series=${seriesCount} rounds=${rounds} samples/request=${perRequest} concurrency=${concurrency}`);
  console.log(`push: ${(samples / (wallMs / 1000)).toFixed(0)} samples/s wall, ${(samples / (cpuMs / 1000)).toFixed(0)} samples per CPU-second (${((cpuMs * 1e6) / samples / 1000).toFixed(2)} µs CPU/sample, client included)`);
  console.log(`memory: ${(perSeries / 1024).toFixed(2)} KiB per active series (heapUsed+arrayBuffers delta after gc${gc ? '' : ' — run with --expose-gc for a clean figure'}, ${rounds} samples each)`);
  conn.close();
  await ti.stop();

  const r0 = performance.now();
  ti = await startTestIngester({ id: 'bench', kv, bucketDir, dataDir, tsdb });
  const replayS = (performance.now() - r0) / 1000;
  console.log(`wal replay: ${replayS.toFixed(2)} s for ${seriesCount} series × ${rounds} samples (${((seriesCount * rounds) / replayS / 1e6).toFixed(2)} M samples/s, includes ingester start)`);
  await ti.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(bucketDir, { recursive: true, force: true });
}

await main();
