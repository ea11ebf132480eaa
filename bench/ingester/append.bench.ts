// Ingester.push CPU in one process: pre-encoded remote-write requests of node-exporter series
// (one sample per series per round) through the ingester's decode, series lookup, head append and
// WAL write, without gRPC. Round 0 creates every series and is timed alone (CPU µs per new
// series); the later rounds are the steady state (CPU ns per sample). bench/cluster adds gRPC
// and the other replicas; this is the figure the ingester's own code costs.
// BENCH_BASE_DIST=<dir> (a dist/ built from an older commit, whose parent holds or links
// node_modules) runs that build's ingester too, alternately with this one, on the same requests:
// same-process before/after figures on a loaded machine. Env: BENCH_SERIES (50000), BENCH_REPS
// (4 steady runs of BENCH_ROUNDS rounds each, 3), BENCH_PER_REQUEST (2000), BENCH_CONCURRENCY (4),
// BENCH_SMOKE=1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeExporterSeries } from '../ingest/node-exporter-series.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';

const smoke = process.env.BENCH_SMOKE === '1';
const seriesCount = Number(process.env.BENCH_SERIES ?? (smoke ? 4_000 : 50_000));
const reps = Number(process.env.BENCH_REPS ?? (smoke ? 1 : 4));
const roundsPerRep = Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 3));
const perRequest = Number(process.env.BENCH_PER_REQUEST ?? 2_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);

interface Build {
  name: string;
  push: (body: Buffer) => Promise<void>;
  stop: () => Promise<void>;
}

async function load(name: string, distDir: string): Promise<Build> {
  const { startTestIngester } = await import(pathToFileURL(resolve(distDir, 'pkg/ingester/testing.js')).href);
  const { MemoryStore } = await import(pathToFileURL(resolve(distDir, 'pkg/kv/index.js')).href);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingester-append-'));
  const bucketDir = mkdtempSync(join(tmpdir(), 'bench-ingester-bucket-'));
  const ti = await startTestIngester({ id: 'bench', kv: new MemoryStore(), bucketDir, dataDir, tsdb: { flushBlocksOnShutdown: false }, limits: { maxSeriesPerUser: 0, maxSeriesPerMetric: 0 } });
  return {
    name,
    push: (body) => ti.ing.push('bench', body),
    stop: async () => {
      await ti.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(bucketDir, { recursive: true, force: true });
    },
  };
}

const here = resolve(new URL('../..', import.meta.url).pathname);
const builds = [await load('this build', here)];
if (process.env.BENCH_BASE_DIST) builds.unshift(await load(`base ${process.env.BENCH_BASE_DIST}`, resolve(process.env.BENCH_BASE_DIST)));

const labels = nodeExporterSeries(seriesCount).map((ls) => ls.map(([name, value]) => ({ name, value })));
const rounds = 1 + reps * roundsPerRep;
const t0 = Date.now() - rounds * 15_000;
/** Round r's requests: every series gets one sample at t0 + 15 s · r. */
function encodeRound(r: number): Buffer[] {
  const out: Buffer[] = [];
  for (let s = 0; s < seriesCount; s += perRequest) {
    const timeseries = labels.slice(s, s + perRequest).map((l, i) => ({ labels: l, samples: [{ timestamp: t0 + r * 15_000, value: r * 10 + ((s + i) % 97) / 7 }], exemplars: [], histograms: [] }));
    out.push(Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish()));
  }
  return out;
}

async function pushRound(b: Build, bodies: Buffer[]): Promise<number> {
  const c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) await b.push(bodies[next++]);
  }));
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

const first = new Map(builds.map((b) => [b.name, '']));
const steady = new Map(builds.map((b) => [b.name, [] as string[]]));
const round0 = encodeRound(0);
for (const b of builds) first.set(b.name, ((await pushRound(b, round0)) / seriesCount).toFixed(2));
for (let rep = 0; rep < reps; rep++) {
  const bodies = Array.from({ length: roundsPerRep }, (_, k) => encodeRound(1 + rep * roundsPerRep + k));
  for (const b of builds) {
    let us = 0;
    for (const round of bodies) us += await pushRound(b, round);
    steady.get(b.name)?.push(((us * 1000) / (seriesCount * roundsPerRep)).toFixed(0));
  }
}
console.log(`Ingester.push (no gRPC), ${seriesCount} node-exporter series, ${perRequest} per request, ${concurrency} at a time, WAL on`);
for (const b of builds) console.log(`  ${b.name}: round 0 ${first.get(b.name)} µs CPU per new series; steady ns CPU per sample, ${reps} runs of ${roundsPerRep} rounds alternated: ${steady.get(b.name)?.join(' ')}`);
for (const b of builds) await b.stop();
