/**
 * TSDB head benchmark: remote-write-shaped appends (in order and out of order), head memory per series, XOR compression, WAL
 * write and replay speed.
 *
 *   node --expose-gc dist/bench/tsdb/head.bench.js            # full sizes (1M series; a few minutes)
 *   BENCH_SMOKE=1 node --expose-gc dist/bench/tsdb/head.bench.js   # tiny sizes, seconds
 *   BENCH_PARTS=append,wal node --expose-gc dist/bench/tsdb/head.bench.js   # a subset
 *
 * Part `append` also appends native histograms through the head (a 20-bucket latency histogram per
 * series every 15 s, the same request shape as the floats): CPU ns per sample and chunk bytes per
 * sample once the head holds them. Part `chunks` times the chunk appenders alone: ns/sample (CPU) and bytes/sample of float samples
 * into XOR chunks beside a 20-bucket latency histogram (schema 3, one span, ~200 observations per
 * 15 s scrape) into integer and float histogram chunks, 120 samples per chunk.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels, Matcher, MatchType } from '../../pkg/model/labels/index.js';
import { seriesLabels } from './series-labels.js';
import type { FloatHistogram, Histogram } from '../../pkg/model/histogram/index.js';
import { CounterResetHint, toFloatHistogram } from '../../pkg/model/histogram/index.js';
import { FloatHistogramChunk, HistogramChunk, XorChunk, XorIterator } from '../../pkg/tsdb/chunkenc/index.js';
import { ValueType } from '../../pkg/storage/index.js';
import { Head } from '../../pkg/tsdb/index.js';
import { RecordEncoder, Wal, listSegments } from '../../pkg/tsdb/wal/index.js';

const smoke = process.env.BENCH_SMOKE === '1';
const sizes = smoke
  ? { appendSeries: 2_000, appendRounds: 5, memSeries: 5_000, walSeries: 2_000, walSamplesPerSeries: 30, batch: 500 }
  : { appendSeries: 200_000, appendRounds: 20, memSeries: 1_000_000, walSeries: 100_000, walSamplesPerSeries: 120, batch: 2_000 };

/** BENCH_PARTS=append,memory,xor,chunks,wal (default: all) runs a subset. */
const parts = new Set((process.env.BENCH_PARTS ?? 'append,memory,xor,chunks,wal').split(','));
const gc = (globalThis as { gc?: () => void }).gc;
const Scrape = 15_000;
const T0 = 1_700_000_000_000;

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-bench-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Append ns/sample: every batch carries one new sample for each of `batch` existing series. With
 * `outOfOrder`, the series start at the newest time and the rounds go back in time, so every
 * timed sample goes to the out-of-order head (and its WBL beside the WAL).
 */
async function benchAppend(walDir: string | undefined, useRefs: boolean, outOfOrder = false): Promise<{ wall: number; cpu: number }> {
  const ooo = outOfOrder ? { outOfOrderTimeWindow: 24 * 3600_000, wblDir: walDir === undefined ? undefined : join(walDir, 'wbl') } : {};
  const head = await Head.open({ walDir, wal: { fsync: 'none' }, ...ooo }, { registry: new Registry() });
  const timeOf = (r: number) => T0 + (outOfOrder ? sizes.appendRounds + 1 - r : r) * Scrape;
  const n = sizes.appendSeries;
  const labels = Array.from({ length: n }, (_, i) => seriesLabels(i));
  const refs = new Array<number>(n).fill(0);
  const app = head.appender();
  // Create the series first (the steady state of an ingester is existing series).
  for (let i = 0; i < n; i += sizes.batch) {
    for (let j = i; j < Math.min(n, i + sizes.batch); j++) refs[j] = app.append(0, labels[j], timeOf(0), j);
    await app.commit();
  }
  // Each request's label strings are decoded just before it is appended (untimed), so they are hot
  // in cache as in an ingester that just parsed the request.
  let samples = 0;
  let wallNs = 0;
  let cpuUs = 0;
  for (let r = 1; r <= sizes.appendRounds; r++) {
    const t = timeOf(r);
    for (let i = 0; i < n; i += sizes.batch) {
      const end = Math.min(n, i + sizes.batch);
      const request = useRefs ? labels : decodeRequest(labels, i, end);
      const off = useRefs ? 0 : i;
      const cpu0 = process.cpuUsage();
      const start = process.hrtime.bigint();
      for (let j = i; j < end; j++) app.append(useRefs ? refs[j] : 0, request[j - off], t, j + r);
      await app.commit();
      wallNs += Number(process.hrtime.bigint() - start);
      const cpu = process.cpuUsage(cpu0);
      cpuUs += cpu.user + cpu.system;
      samples += end - i;
    }
  }
  await head.close();
  return { wall: wallNs / samples, cpu: (cpuUs * 1000) / samples };
}

/**
 * Head appends of native histograms: `series` series, each getting one 20-bucket latency histogram
 * per round (cached refs, batches of sizes.batch), `rounds` rounds. CPU ns per sample (append and
 * commit, with the WAL when `walDir` is set) and the head's chunk bytes per sample afterwards.
 */
async function benchAppendHistograms(walDir: string | undefined, series: number, rounds: number): Promise<{ cpu: number; bytesPerSample: number }> {
  const head = await Head.open({ walDir, wal: { fsync: 'none' } }, { registry: new Registry() });
  const hs = Array.from({ length: series }, (_, j) => latencyHistograms(rounds, j));
  const refs = new Array<number>(series).fill(0);
  const app = head.appender();
  let cpuUs = 0;
  for (let r = 0; r < rounds; r++) {
    const t = T0 + r * Scrape;
    for (let i = 0; i < series; i += sizes.batch) {
      const end = Math.min(series, i + sizes.batch);
      const cpu0 = process.cpuUsage();
      for (let j = i; j < end; j++) refs[j] = app.appendHistogram(refs[j], refs[j] === 0 ? seriesLabels(j) : Labels.EMPTY, t, hs[j][r], undefined);
      await app.commit();
      const cpu = process.cpuUsage(cpu0);
      if (r > 0) cpuUs += cpu.user + cpu.system; // round 0 creates the series
    }
  }
  let chunkBytes = 0;
  const cq = await head.chunkQuerier(-Infinity, Infinity);
  const set = cq.select({ start: 0, end: 0, step: 0, func: '', range: 0, sortSeries: false }, new Matcher(MatchType.Regexp, '__name__', '.+'));
  while (await set.next()) {
    const it = set.at().chunks();
    while (it.next()) chunkBytes += it.at().bytes.length;
  }
  await head.close();
  return { cpu: (cpuUs * 1000) / (series * (rounds - 1)), bytesPerSample: chunkBytes / (series * rounds) };
}

/** Label sets [from, to) as a remote-write decoder hands them over: new flat strings from bytes. */
function decodeRequest(labels: Labels[], from: number, to: number): Labels[] {
  const out: Labels[] = [];
  for (let j = from; j < to; j++) out.push(Labels.fromSortedPairs(labels[j].pairs().map((s) => Buffer.from(s, 'utf8').toString('utf8'))));
  return out;
}

function heapBytes(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Bytes per active series after `memSeries` series × 120 samples (a full chunk each). */
async function benchMemory(): Promise<{ perSeries: number; chunkBytesPerSample: number }> {
  const before = heapBytes();
  const head = await Head.open({}, { registry: new Registry() });
  const n = sizes.memSeries;
  const refs = new Array<number>(n).fill(0);
  const app = head.appender();
  for (let s = 0; s < 120; s++) {
    const t = T0 + s * Scrape;
    for (let i = 0; i < n; i += sizes.batch) {
      const end = Math.min(n, i + sizes.batch);
      for (let j = i; j < end; j++) {
        const ls = refs[j] === 0 ? seriesLabels(j) : Labels.EMPTY;
        refs[j] = app.append(refs[j], ls, t, counterValue(j, s));
      }
      await app.commit();
    }
  }
  const after = heapBytes();
  let chunkBytes = 0;
  const cq = await head.chunkQuerier(-Infinity, Infinity);
  const set = cq.select({ start: 0, end: 0, step: 0, func: '', range: 0, sortSeries: false }, new Matcher(MatchType.Regexp, '__name__', '.+'));
  while (await set.next()) {
    const it = set.at().chunks();
    while (it.next()) chunkBytes += it.at().bytes.length;
  }
  const perSeries = (after - before) / n;
  await head.close();
  return { perSeries, chunkBytesPerSample: chunkBytes / (n * 120) };
}

function counterValue(series: number, step: number): number {
  return (series % 1000) * 1000 + step * ((series % 7) + 1) * 3 + (step % 4 === 0 ? 1 : 0);
}

/** XOR bytes/sample over 120-sample chunks of typical shapes, at exact 15 s intervals (Prometheus aligns scrape timestamps). */
/** Per value shape: encoded bytes per sample and CPU ns per decoded sample (XorIterator over whole chunks). */
function benchXor(): Record<string, { bytes: number; decodeNs: number }> {
  const shapes: Record<string, (i: number, prev: number) => number> = {
    'counter, steady rate': (_i, p) => p + 150,
    'counter, bursty (+0..8)': (i, p) => p + ((i * 2654435761) % 9),
    'counter, float seconds': (i, p) => p + ((i * 2654435761) % 1000) / 997,
    'gauge, integer random walk': (i, p) => p + (((i * 40503) % 2001) - 1000) * 4096,
    'gauge, float ratio (2 digits)': (i) => Math.round(((i * 7919) % 1000) / 10) / 100,
    constant: () => 1,
  };
  const out: Record<string, { bytes: number; decodeNs: number }> = {};
  const chunks = smoke ? 200 : 2000;
  const rounds = smoke ? 2 : 20;
  for (const [name, f] of Object.entries(shapes)) {
    let bytes = 0;
    const encoded: Uint8Array[] = [];
    for (let c = 0; c < chunks; c++) {
      const ch = new XorChunk();
      let v = c * 1000;
      for (let i = 0; i < 120; i++) {
        v = f(c * 120 + i, v);
        ch.append(T0 + i * Scrape, v);
      }
      bytes += ch.size();
      encoded.push(ch.bytes().slice());
    }
    const it = new XorIterator();
    let check = 0;
    const decodeAll = (): void => {
      for (const b of encoded) {
        it.reset(b);
        while (it.next() !== ValueType.None) check += it.atV();
      }
    };
    decodeAll(); // warm-up
    const start = process.cpuUsage();
    for (let r = 0; r < rounds; r++) decodeAll();
    const cpu = process.cpuUsage(start);
    if (Number.isNaN(check)) throw new Error('decoded NaN');
    out[name] = { bytes: bytes / (chunks * 120), decodeNs: ((cpu.user + cpu.system) * 1000) / (chunks * 120 * rounds) };
  }
  return out;
}

/** A latency histogram's scrapes: 20 adjacent buckets, cumulative counts growing by ~200 a scrape. */
function latencyHistograms(n: number, series: number): Histogram[] {
  const counts = new Array<number>(20).fill(0);
  let sum = 0;
  const out: Histogram[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 20; k++) {
      const add = ((i + 1) * 2654435761 * (k + 1) + series) % 21; // 0..20, peaked in the middle below
      counts[k] += k > 4 && k < 15 ? add : add >> 2;
    }
    const total = counts.reduce((a, b) => a + b, 0);
    sum += total * 0.0173;
    out.push({
      counterResetHint: CounterResetHint.Unknown,
      schema: 3,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      count: total,
      sum,
      positiveSpans: [{ offset: -40, length: 20 }],
      negativeSpans: [],
      positiveBuckets: counts.map((c, k) => (k === 0 ? c : c - counts[k - 1])),
      negativeBuckets: [],
      customValues: [],
    });
  }
  return out;
}

interface ChunkFigures {
  nsPerSample: number;
  bytesPerSample: number;
}

/** CPU ns and encoded bytes per sample of appending `rounds` x chunks of 120 prepared samples. */
function timeChunks<V>(samples: V[][], append: (values: V[]) => number, rounds: number): ChunkFigures {
  let bytes = 0;
  for (const s of samples) bytes += append(s); // warm-up, and the size figure
  const start = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const s of samples) append(s);
  const cpu = process.cpuUsage(start);
  const n = samples.length * 120;
  return { nsPerSample: ((cpu.user + cpu.system) * 1000) / (n * rounds), bytesPerSample: bytes / n };
}

function benchChunks(): Record<string, ChunkFigures> {
  const chunks = smoke ? 50 : 500;
  const rounds = smoke ? 2 : 10;
  const floats: number[][] = [];
  const ints: Histogram[][] = [];
  const fhs: FloatHistogram[][] = [];
  for (let c = 0; c < chunks; c++) {
    let v = c * 1000;
    floats.push(Array.from({ length: 120 }, (_x, i) => (v = v + ((c * 120 + i) * 2654435761) % 9)));
    ints.push(latencyHistograms(120, c));
    fhs.push(ints[c].map(toFloatHistogram));
  }
  return {
    'float counter (XOR)': timeChunks(floats, (vs) => {
      const ch = new XorChunk();
      for (let i = 0; i < 120; i++) ch.append(T0 + i * Scrape, vs[i]);
      return ch.size();
    }, rounds),
    '20-bucket histogram (integer)': timeChunks(ints, (hs) => {
      const ch = new HistogramChunk();
      for (let i = 0; i < 120; i++) ch.append(T0 + i * Scrape, hs[i]);
      return ch.size();
    }, rounds),
    '20-bucket histogram (float)': timeChunks(fhs, (hs) => {
      const ch = new FloatHistogramChunk();
      for (let i = 0; i < 120; i++) ch.append(T0 + i * Scrape, hs[i]);
      return ch.size();
    }, rounds),
  };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

interface WalFigures {
  headMBps: number;
  rawMBps: number;
  rawCpuMBps: number;
  replayPerSec: number;
  replayPerCpuSec: number;
  samples: number;
  walBytes: number;
}

/** WAL write throughput (through head commits, and raw Wal.log of encoded batches) and replay speed. */
async function benchWal(): Promise<WalFigures> {
  return withDir(async (dir) => {
    const head = await Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: new Registry() });
    const n = sizes.walSeries;
    const labels = Array.from({ length: n }, (_, i) => seriesLabels(i));
    const refs = new Array<number>(n).fill(0);
    const app = head.appender();
    let samples = 0;
    const start = process.hrtime.bigint();
    for (let s = 0; s < sizes.walSamplesPerSeries; s++) {
      for (let i = 0; i < n; i += sizes.batch) {
        const end = Math.min(n, i + sizes.batch);
        for (let j = i; j < end; j++) refs[j] = app.append(refs[j], labels[j], T0 + s * Scrape, counterValue(j, s));
        await app.commit();
        samples += end - i;
      }
    }
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    await head.close();
    let walBytes = 0;
    for (const seg of listSegments(dir)) walBytes += (await stat(seg.path)).size;
    const raw = await benchRawWal(join(dir, 'raw'));
    const cpu0 = process.cpuUsage();
    const rs = process.hrtime.bigint();
    const h2 = await Head.open({ walDir: dir, wal: { fsync: 'none' } }, { registry: new Registry() });
    const replaySecs = Number(process.hrtime.bigint() - rs) / 1e9;
    const replayCpu = cpuSeconds(cpu0);
    if (h2.numSeries() !== n) throw new Error(`replay rebuilt ${h2.numSeries()} series, want ${n}`);
    await h2.close();
    return {
      headMBps: walBytes / 1e6 / secs,
      rawMBps: raw.mbps,
      rawCpuMBps: raw.cpuMbps,
      replayPerSec: samples / replaySecs,
      replayPerCpuSec: samples / replayCpu,
      samples,
      walBytes,
    };
  });
}

/** Raw WAL writes: encoded samples records of one batch each, logged back to back (fsync none). */
async function benchRawWal(dir: string): Promise<{ mbps: number; cpuMbps: number }> {
  const wal = await Wal.open(dir, { fsync: 'none' });
  const enc = new RecordEncoder();
  const n = sizes.batch;
  const refs = new Float64Array(n).map((_, i) => i + 1);
  const ts = new Float64Array(n).fill(T0);
  const vs = new Float64Array(n).map((_, i) => i * 1.5);
  const batches = smoke ? 200 : 20_000;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let pending: Promise<void>[] = [];
  for (let b = 0; b < batches; b++) {
    ts.fill(T0 + b * Scrape);
    const rec = enc.samples(refs, ts, vs, n);
    bytes += rec.length;
    pending.push(wal.log(rec));
    if (pending.length === 16) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = cpuSeconds(cpu0);
  await wal.close();
  return { mbps: bytes / 1e6 / secs, cpuMbps: bytes / 1e6 / cpu };
}

async function reportAppend(): Promise<void> {
  console.log(`append, ${fmt(sizes.appendSeries, 0)} series, batches of ${sizes.batch} (1 sample per series), ${sizes.appendRounds} rounds:`);
  const show = (r: { wall: number; cpu: number }) => `${fmt(r.wall)} ns/sample wall, ${fmt(r.cpu)} ns/sample CPU (incl. GC threads)`;
  console.log(`  no WAL, fresh labels per request : ${show(await benchAppend(undefined, false))}`);
  console.log(`  no WAL, cached series refs       : ${show(await benchAppend(undefined, true))}`);
  await withDir(async (d) => console.log(`  WAL (fsync none), fresh labels   : ${show(await benchAppend(d, false))}`));
  console.log(`  out of order, no WAL, cached refs: ${show(await benchAppend(undefined, true, true))}`);
  await withDir(async (d) => console.log(`  out of order, WAL+WBL, fresh lbls: ${show(await benchAppend(d, false, true))}`));
  const hSeries = smoke ? 500 : 20_000;
  const hRounds = smoke ? 30 : 120;
  console.log(`append of native histograms (20 buckets, 15s), ${fmt(hSeries, 0)} series, batches of ${sizes.batch}, ${hRounds} rounds, cached refs:`);
  const showH = (r: { cpu: number; bytesPerSample: number }) => `${fmt(r.cpu)} ns/sample CPU (incl. GC threads), ${fmt(r.bytesPerSample, 2)} chunk bytes/sample`;
  console.log(`  no WAL                           : ${showH(await benchAppendHistograms(undefined, hSeries, hRounds))}`);
  await withDir(async (d) => console.log(`  WAL (fsync none)                 : ${showH(await benchAppendHistograms(d, hSeries, hRounds))}`));
}

async function reportMemory(): Promise<void> {
  const mem = await benchMemory();
  console.log(`head memory, ${fmt(sizes.memSeries, 0)} series x 120 samples (counters, 15s):`);
  console.log(`  ${fmt(mem.perSeries, 0)} bytes per active series (heapUsed + arrayBuffers after global.gc(), minus the same before the head was built)`);
  console.log(`  ${fmt(mem.chunkBytesPerSample, 3)} chunk bytes per sample`);
}

async function reportXor(): Promise<void> {
  console.log('XOR chunks (120 samples, 15s scrape): bytes per sample, CPU ns per decoded sample:');
  for (const [name, x] of Object.entries(benchXor())) console.log(`  ${name.padEnd(32)} ${fmt(x.bytes, 3).padStart(8)} bytes ${fmt(x.decodeNs).padStart(8)} ns decode`);
}

async function reportChunks(): Promise<void> {
  console.log('chunk appenders alone (120-sample chunks, 15s scrape), CPU ns and bytes per sample:');
  for (const [name, f] of Object.entries(benchChunks())) {
    console.log(`  ${name.padEnd(32)} ${fmt(f.nsPerSample).padStart(8)} ns/sample ${fmt(f.bytesPerSample, 3).padStart(8)} bytes/sample`);
  }
}

async function reportWal(): Promise<void> {
  const wal = await benchWal();
  console.log(`WAL, ${fmt(sizes.walSeries, 0)} series x ${sizes.walSamplesPerSeries} samples (${fmt(wal.samples, 0)} samples, ${fmt(wal.walBytes / 1e6)} MB):`);
  console.log(`  write ${fmt(wal.headMBps)} MB/s through head commits (append + WAL, fsync none)`);
  console.log(`  write ${fmt(wal.rawMBps)} MB/s raw Wal.log of ${sizes.batch}-sample records (${fmt(wal.rawCpuMBps)} MB per CPU second)`);
  console.log(`  replay ${fmt(wal.replayPerSec / 1e6, 2)} M samples/s wall, ${fmt(wal.replayPerCpuSec / 1e6, 2)} M samples per CPU second`);
}

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`# myelin tsdb head benchmark${smoke ? ' (smoke sizes)' : ''}, node ${process.version}, load average ${load} on ${cpus().length} cpus`);
  const reports: Record<string, () => Promise<void>> = { append: reportAppend, memory: reportMemory, xor: reportXor, chunks: reportChunks, wal: reportWal };
  for (const [name, run] of Object.entries(reports)) if (parts.has(name)) await run();
}

await main();
