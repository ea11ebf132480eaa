/**
 * WAL replay benchmark: how fast a head is rebuilt from its WAL, and how much memory the rebuild
 * needs at its peak compared with the head it leaves (replay OOM is the ingester failure Cortex
 * users report most).
 *
 *   node --expose-gc dist/bench/tsdb/replay.bench.js                 # 100k series × 120 samples
 *   BENCH_SERIES=200000 BENCH_SAMPLES=60 node --expose-gc dist/bench/tsdb/replay.bench.js
 *   BENCH_SMOKE=1 node --expose-gc dist/bench/tsdb/replay.bench.js   # seconds
 *   BENCH_HISTOGRAMS=1 node --expose-gc dist/bench/tsdb/replay.bench.js   # 20-bucket native histograms instead of floats
 *
 * This process writes the WAL through a head (remote-write shaped batches, fsync none); a fresh
 * child process replays it, so that its peak RSS (VmHWM) is the replay's alone. Printed: samples
 * per second of wall and of CPU time (user + system, GC threads included), peak RSS, and RSS after
 * the replay (after a full GC): the steady state the replay leads to.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import type { Histogram } from '../../pkg/model/histogram/index.js';
import { Labels } from '../../pkg/model/labels/index.js';
import { Head } from '../../pkg/tsdb/index.js';
import { listSegments } from '../../pkg/tsdb/wal/index.js';
import { seriesLabels } from './series-labels.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const seriesCount = env('BENCH_SERIES', 100_000, 2_000);
const samplesPerSeries = env('BENCH_SAMPLES', 120, 30);
const histograms = process.env.BENCH_HISTOGRAMS === '1';
const batch = 2_000;
const Scrape = 15_000;
const T0 = 1_700_000_000_000;
const gc = (globalThis as { gc?: () => void }).gc;

interface ReplayFigures {
  series: number;
  wallMs: number;
  cpuMs: number;
  peakRss: number;
  rssAfter: number;
  rssBefore: number;
}

async function writeWal(dir: string): Promise<number> {
  const head = await Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: new Registry() });
  const refs = new Array<number>(seriesCount).fill(0);
  const app = head.appender();
  let samples = 0;
  for (let s = 0; s < samplesPerSeries; s++) {
    for (let i = 0; i < seriesCount; i += batch) {
      const end = Math.min(seriesCount, i + batch);
      for (let j = i; j < end; j++) {
        const ls = refs[j] === 0 ? seriesLabels(j) : Labels.EMPTY;
        const t = T0 + s * Scrape;
        refs[j] = histograms ? app.appendHistogram(refs[j], ls, t, latency(j, s), undefined) : app.append(refs[j], ls, t, (j % 1000) * 1000 + s * ((j % 7) + 1));
      }
      await app.commit();
      samples += end - i;
    }
  }
  await head.close();
  return samples;
}

/** Scrape s of series j's 20-bucket latency histogram (schema 3): each bucket grows by 1..8 a scrape. */
function latency(j: number, s: number): Histogram {
  const counts = Array.from({ length: 20 }, (_, k) => s * (1 + ((j + k) % 8)));
  return {
    counterResetHint: 0, schema: 3, zeroThreshold: 2 ** -128, zeroCount: 0, count: counts.reduce((a, c) => a + c, 0), sum: s * 1.7,
    positiveSpans: [{ offset: -40, length: 20 }], negativeSpans: [], positiveBuckets: counts.map((c, k) => c - (k === 0 ? 0 : counts[k - 1])), negativeBuckets: [], customValues: [],
  };
}

function procStatus(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (m === null) throw new Error(`no ${field} in /proc/self/status`);
  return Number(m[1]) * 1024;
}

/** The child: replays `dir` once and prints its figures as JSON. */
async function replayChild(dir: string): Promise<void> {
  gc?.();
  const rssBefore = procStatus('VmRSS');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const head = await Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: new Registry() });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const peakRss = procStatus('VmHWM');
  gc?.();
  gc?.();
  const rssAfter = procStatus('VmRSS');
  const out: ReplayFigures = { series: head.numSeries(), wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRss, rssAfter, rssBefore };
  await head.close();
  process.stdout.write(JSON.stringify(out));
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const dir = await mkdtemp(join(tmpdir(), 'myelin-replay-bench-'));
  try {
    const load = loadavg().map((l) => l.toFixed(1)).join(' ');
    console.log(`# myelin WAL replay benchmark${smoke ? ' (smoke sizes)' : ''}, node ${process.version}, load average ${load} on ${cpus().length} cpus`);
    const samples = await writeWal(dir);
    let walBytes = 0;
    for (const seg of listSegments(dir)) walBytes += (await stat(seg.path)).size;
    console.log(`WAL: ${seriesCount.toLocaleString('en-US')} series × ${samplesPerSeries} ${histograms ? '20-bucket histogram samples' : 'samples'} = ${samples.toLocaleString('en-US')} samples, ${mb(walBytes)}`);
    const self = fileURLToPath(import.meta.url);
    const runs = Number(process.env.BENCH_RUNS ?? (smoke ? 1 : 3));
    for (let r = 0; r < runs; r++) {
      const f = JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--replay', dir], { encoding: 'utf8' })) as ReplayFigures;
      if (f.series !== seriesCount) throw new Error(`replay rebuilt ${f.series} series, want ${seriesCount}`);
      const grown = f.rssAfter - f.rssBefore;
      console.log(
        `replay ${r + 1}: ${(samples / f.wallMs / 1e3).toFixed(2)} M samples/s wall, ${(samples / f.cpuMs / 1e3).toFixed(2)} M samples per CPU second; ` +
          `peak RSS ${mb(f.peakRss)}, RSS after ${mb(f.rssAfter)} (peak/after ${(f.peakRss / f.rssAfter).toFixed(2)}×; ${(grown / seriesCount).toFixed(0)} B/series over the empty process)`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--replay') await replayChild(process.argv[3]);
else await main();
