/**
 * Cardinality over a head (pkg/tsdb/head-cardinality.ts, what an ingester answers for
 * /api/v1/status/tsdb and /api/v1/cardinality/*): CPU time per call, and the longest stretch the
 * calls hold the thread between two yields when run with the ingester's time slicer (5 ms) — what a
 * push queued behind them waits at most.
 *
 *   node dist/bench/tsdb/head-cardinality.bench.js          # 1M series (BENCH_SERIES=n for another size)
 *   BENCH_SMOKE=1 node dist/bench/tsdb/head-cardinality.bench.js
 */
import { cpus, loadavg } from 'node:os';
import { MatchType, Matcher } from '../../pkg/model/labels/index.js';
import { Head, headStatus, labelNamesAndValues, labelValuesCardinality, selectedSeries } from '../../pkg/tsdb/index.js';
import type { Pause } from '../../pkg/tsdb/index.js';
import { TimeSlicer } from '../../pkg/workers/index.js';
import { seriesLabels } from './series-labels.js';

const smoke = process.env.BENCH_SMOKE === '1';
const series = smoke ? 5_000 : Number(process.env.BENCH_SERIES ?? 1_000_000);

async function build(): Promise<Head> {
  const h = await Head.open();
  for (let from = 0; from < series; from += 10_000) {
    const app = h.appender();
    for (let i = from; i < Math.min(series, from + 10_000); i++) app.append(0, seriesLabels(i), 1_700_000_000_000, i);
    await app.commit();
  }
  return h;
}

/** A pause that yields with the ingester's slicer and records the longest stretch between yields. */
function measuredPause(): { pause: Pause; longestMs: () => number } {
  const slicer = new TimeSlicer();
  let last = performance.now();
  let longest = 0;
  return {
    pause: () => {
      const p = slicer.maybeYield();
      if (p === undefined) return undefined;
      longest = Math.max(longest, performance.now() - last);
      return p.then(() => void (last = performance.now()));
    },
    longestMs: () => Math.max(longest, 0),
  };
}

async function time(name: string, fn: (pause: Pause) => Promise<unknown>): Promise<void> {
  const m = measuredPause();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn(m.pause);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${name.padEnd(44)} cpu ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(6)} ms  wall ${wall.toFixed(0).padStart(6)} ms  longest hold ${m.longestMs().toFixed(1)} ms`);
}

const h = await build();
console.log(`head-cardinality: ${series.toLocaleString('en')} series (100 metrics, 10 jobs, a unique pod label), ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`);
await time('status/tsdb (top 10)', (p) => headStatus(h, '__name__', 10, p));
await time('label_names, no selector', (p) => labelNamesAndValues(h, { matchers: [], activeSince: -Infinity }, 0, p));
await time('label_names, count_method=active', (p) => labelNamesAndValues(h, { matchers: [], activeSince: 0 }, 0, p));
await time('label_values job,zone, no selector', (p) => labelValuesCardinality(h, ['job', 'zone'], { matchers: [], activeSince: -Infinity }, p));
await time('label_values job, selector {job=~"job-[1-3]"}', (p) => labelValuesCardinality(h, ['job'], { matchers: [new Matcher(MatchType.Regexp, 'job', 'job-[1-3]')], activeSince: -Infinity }, p));
await time('active_series {__name__="bench_metric_7_total"}', (p) => selectedSeries(h, { matchers: [new Matcher(MatchType.Equal, '__name__', 'bench_metric_7_total')], activeSince: 0 }, 0, p));
await h.close();
