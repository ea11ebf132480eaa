/**
 * Block write and read figures, side by side with Prometheus' own blocks of the same data:
 *
 *   node --expose-gc dist/bench/tsdb/block.bench.js       full sizes (a 1M-series block for selects)
 *   BENCH_SMOKE=1 node dist/bench/tsdb/block.bench.js   tiny sizes, a couple of seconds
 *
 * 1. write: N series × S samples (15 s scrapes, counters and gauges) pre-encoded as XOR chunks, then
 *    timed through writeBlock: MB/s of block bytes, samples/s, bytes per sample on disk.
 * 2. the same data as OpenMetrics through `promtool tsdb create-blocks-from openmetrics`: bytes per
 *    sample of Prometheus' blocks (index + chunks), and its wall time for reference.
 * 3. select on a block of SELECT_SERIES series (chunks share 64 sample patterns to save memory): a selective matcher (one series) and a broad one
 *    (1% of the series), cold (first query on a freshly opened block: no in-process caches, the OS
 *    page cache as it is) and warm (median of repeats).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels, Matcher, MatchType } from '../../pkg/model/labels/index.js';
import { ValueType, type ChunkSeries } from '../../pkg/storage/index.js';
import { Block, BlockChunkSeries, ChunkBuilder, isUlid, listChunkSeriesSet, writeBlock } from '../../pkg/tsdb/block/index.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const WRITE_SERIES = SMOKE ? 200 : 10_000;
const WRITE_SAMPLES = SMOKE ? 120 : 480; // 2h of 15 s scrapes
const SELECT_SERIES = SMOKE ? 2_000 : 1_000_000;
const SELECT_SAMPLES = 12;
const REPEATS = SMOKE ? 3 : 20;
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);

let seed = 7;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

interface Dataset {
  series: ChunkSeries[];
  samples: number;
  /** Only kept for the OpenMetrics export. */
  raw: { labels: Labels; ts: Float64Array; vs: Float64Array }[] | undefined;
}

function labelsOf(i: number, n: number): Labels {
  return Labels.fromRecord({
    __name__: `metric_${i % 100}`,
    instance: `host-${Math.floor(i / 100) % Math.max(1, Math.floor(n / 100))}:9100`,
    job: `job-${i % 10}`,
    series_id: String(i),
  });
}

function generate(n: number, samples: number, keepRaw: boolean): Dataset {
  const series: ChunkSeries[] = [];
  const raw: Dataset['raw'] = keepRaw ? [] : undefined;
  const b = new ChunkBuilder();
  const ts = new Float64Array(samples);
  const vs = new Float64Array(samples);
  for (let i = 0; i < n; i++) {
    const counter = i % 2 === 0;
    let v = counter ? Math.floor(rnd() * 1000) : rnd() * 100;
    for (let k = 0; k < samples; k++) {
      const t = T0 + k * 15_000;
      v = counter ? v + Math.floor(rnd() * 20) : Math.round(rnd() * 10000) / 100;
      ts[k] = t;
      vs[k] = v;
      b.append(t, v);
    }
    const labels = labelsOf(i, n);
    series.push(b.finish(labels));
    raw?.push({ labels, ts: ts.slice(), vs: vs.slice() });
  }
  series.sort((a, c) => Labels.compare(a.labels, c.labels));
  return { series, samples: n * samples, raw };
}

/**
 * Many series whose chunks share 64 pre-encoded sample patterns, so that a 1M-series block fits
 * the benchmark's memory; the index (what selects read first) is that of 1M distinct series.
 */
function generateShared(n: number, samples: number): Dataset {
  const patterns = generate(64, samples, false).series;
  const series: ChunkSeries[] = [];
  for (let i = 0; i < n; i++) {
    const p = patterns[i % patterns.length] as BlockChunkSeries;
    series.push(new BlockChunkSeries(labelsOf(i, n), p.minTs, p.maxTs, p.encodings, p.bytes));
  }
  series.sort((a, c) => Labels.compare(a.labels, c.labels));
  return { series, samples: n * samples, raw: undefined };
}

async function blockBytes(dir: string): Promise<number> {
  let n = (await stat(join(dir, 'index'))).size;
  for (const f of await readdir(join(dir, 'chunks'))) n += (await stat(join(dir, 'chunks', f))).size;
  return n;
}

/** Writes the dataset as OpenMetrics text, one series at a time (the whole text can exceed a JS string). */
async function writeOpenMetrics(path: string, d: Dataset): Promise<void> {
  const byName = new Map<string, NonNullable<Dataset['raw']>>();
  for (const r of d.raw ?? []) {
    const name = r.labels.get('__name__');
    const list = byName.get(name) ?? [];
    list.push(r);
    byName.set(name, list);
  }
  const fh = await open(path, 'w');
  try {
    for (const [name, list] of byName) {
      await fh.write(`# TYPE ${name} gauge\n`);
      for (const r of list) {
        const ls: string[] = [];
        r.labels.forEach((k, v) => {
          if (k !== '__name__') ls.push(`${k}="${v}"`);
        });
        const prefix = `${name}{${ls.join(',')}} `;
        const lines: string[] = [];
        for (let k = 0; k < r.ts.length; k++) lines.push(`${prefix}${r.vs[k]} ${r.ts[k] / 1000}\n`);
        await fh.write(lines.join(''));
      }
    }
    await fh.write('# EOF\n');
  } finally {
    await fh.close();
  }
}

async function timeSelect(block: Block, matchers: Matcher[]): Promise<{ ms: number; series: number; samples: number }> {
  const start = performance.now();
  const q = await block.querier(-Infinity, Infinity);
  const set = q.select({ start: -Infinity, end: Infinity, step: 0, func: '', range: 0, sortSeries: true }, ...matchers);
  let series = 0;
  let samples = 0;
  while (await set.next()) {
    series++;
    const it = set.at().iterator();
    while (it.next() !== ValueType.None) samples++;
  }
  const err = set.err();
  if (err !== undefined) throw err;
  await q.close();
  return { ms: performance.now() - start, series, samples };
}

/** CPU seconds (user + system, all threads) since `start`: less sensitive than wall time to a busy machine. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, d = 2): string => x.toFixed(d);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'myelin-block-bench-'));
  try {
    console.log(`# block bench${SMOKE ? ' (smoke)' : ''}: node ${process.version}`);

    // 1. Write.
    const data = generate(WRITE_SERIES, WRITE_SAMPLES, true);
    const wdir = join(root, 'myelin');
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const meta = await writeBlock(wdir, listChunkSeriesSet(data.series));
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(c0);
    if (meta === undefined) throw new Error('no block written');
    const bytes = await blockBytes(join(wdir, meta.ulid));
    console.log(`write   ${WRITE_SERIES} series × ${WRITE_SAMPLES} samples: ${fmt(secs, 3)} s wall, ${fmt(cpu, 3)} s CPU; ` +
      `${fmt(bytes / 2 ** 20 / secs)} MB/s, ${fmt(data.samples / secs / 1e6)} M samples/s (per CPU second: ` +
      `${fmt(bytes / 2 ** 20 / cpu)} MB/s, ${fmt(data.samples / cpu / 1e6)} M samples/s)`);

    // 2. The same data through promtool.
    const om = join(root, 'data.om');
    await writeOpenMetrics(om, data);
    const pdir = join(root, 'prometheus');
    const p0 = performance.now();
    await promisify(execFile)(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', om, pdir], { maxBuffer: 64 << 20 });
    const psecs = (performance.now() - p0) / 1000;
    let pbytes = 0;
    for (const id of (await readdir(pdir)).filter(isUlid)) pbytes += await blockBytes(join(pdir, id));
    console.log(`size    myelin ${fmt(bytes / data.samples)} B/sample (${bytes} B) | prometheus ${fmt(pbytes / data.samples)} B/sample ` +
      `(${pbytes} B; promtool import from OpenMetrics took ${fmt(psecs, 1)} s)`);
    data.series.length = 0;
    data.raw = undefined;
    await rm(om);

    // 3. Select on a large block.
    const big = generateShared(SELECT_SERIES, SELECT_SAMPLES);
    const sdir = join(root, 'select');
    const b0 = performance.now();
    const bc0 = process.cpuUsage();
    const smeta = await writeBlock(sdir, listChunkSeriesSet(big.series));
    const bsecs = (performance.now() - b0) / 1000;
    const bcpu = cpuSeconds(bc0);
    if (smeta === undefined) throw new Error('no block written');
    const sbytes = await blockBytes(join(sdir, smeta.ulid));
    console.log(`write   ${SELECT_SERIES} series × ${SELECT_SAMPLES} samples: ${fmt(bsecs, 1)} s wall, ${fmt(bcpu, 1)} s CPU, ` +
      `${fmt(sbytes / 2 ** 20 / bsecs)} MB/s, ` +
      `index ${fmt((await stat(join(sdir, smeta.ulid, 'index'))).size / 2 ** 20, 1)} MiB`);
    big.series.length = 0;

    const cases: [string, Matcher[]][] = [
      ['selective {__name__="metric_42",series_id="..42"} (1 series)', [new Matcher(MatchType.Equal, '__name__', 'metric_42'), new Matcher(MatchType.Equal, 'series_id', SELECT_SERIES > 4242 ? '4242' : '42')]],
      ['broad     {__name__="metric_7",job=~"job-7|job-8"} (1%)', [new Matcher(MatchType.Equal, '__name__', 'metric_7'), new Matcher(MatchType.Regexp, 'job', 'job-7|job-8')]],
      ['broad     {__name__=~"metric_1.*"} (11%)', [new Matcher(MatchType.Regexp, '__name__', 'metric_1.*')]],
    ];
    // Collect the generator's garbage now, or the first open pays for it (run with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    for (const [name, matchers] of cases) {
      const o0 = performance.now();
      const block = await Block.open(join(sdir, smeta.ulid));
      const openMs = performance.now() - o0;
      try {
        const cold = await timeSelect(block, matchers);
        const warm: number[] = [];
        for (let r = 0; r < REPEATS; r++) warm.push((await timeSelect(block, matchers)).ms);
        console.log(`select  ${name}: ${cold.series} series, ${cold.samples} samples; open ${fmt(openMs, 1)} ms, ` +
          `cold ${fmt(cold.ms)} ms, warm ${fmt(median(warm))} ms`);
      } finally {
        await block.close();
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
