// Query sharding: `sum by (job) (rate(bench_requests_total[5m]))` over BENCH_SERIES series, sharded
// into BENCH_SHARDS by the query-frontend, with 1 querier vs 2. A single-process Myelin (the binary,
// -target=all) stands for the cluster: its query workers (-querier.max-concurrent) are the
// queriers that take the shard queries from its frontend. For each count it loads the data by
// remote write, runs BENCH_RUNS queries unsharded, restarts sharding (same data, WAL replayed),
// checks the sharded answer equals the unsharded one within float rounding, runs BENCH_RUNS sharded
// queries, and prints the wall time (min, median, max) and the process's CPU (utime + stime from
// /proc) per query.
//
//   npx tsc -b && node dist/bench/query-frontend/sharding.bench.js           200k series × 10 min at 15 s
//   BENCH_SMOKE=1 node dist/bench/query-frontend/sharding.bench.js           2k series
//
// Env: BENCH_SERIES (200000), BENCH_MINUTES (10), BENCH_SHARDS (4), BENCH_RUNS (5), BENCH_SMOKE=1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRequests, sendLoad, type LoadOptions } from '../ingest/load-gen.js';
import { cpuSeconds, startMyelin, type BenchServer } from '../lib/servers.js';

const smoke = process.env.BENCH_SMOKE === '1';
const env = (name: string, def: number, smokeDef: number) => Number(process.env[name] ?? (smoke ? smokeDef : def));
const SERIES = env('BENCH_SERIES', 200_000, 2_000);
const MINUTES = env('BENCH_MINUTES', 10, 10);
const SHARDS = env('BENCH_SHARDS', 4, 4);
const RUNS = env('BENCH_RUNS', 5, 2);
const STEP = 15_000;
const TENANT = 'tenant-0';
const QUERY = 'sum by (job) (rate(bench_requests_total[5m]))';

const sets: [string, string][][] = Array.from({ length: SERIES }, (_, i) => [['__name__', 'bench_requests_total'], ['instance', `host-${i}`], ['job', `job-${i % 20}`]]);
const rounds = Math.floor((MINUTES * 60_000) / STEP);
const dataEnd = Math.floor(Date.now() / STEP) * STEP;
const load: LoadOptions = { series: SERIES, samples: rounds, batch: 2_000, concurrency: 4, tenants: 1, maxSeconds: 3_600, retries: 3 };

async function query(s: BenchServer): Promise<{ ms: number; body: string }> {
  const params = new URLSearchParams({ query: QUERY, time: String(dataEnd / 1000) });
  const t0 = performance.now();
  const res = await fetch(`${s.url}${s.apiPrefix}/api/v1/query?${params}`, { headers: { 'X-Scope-OrgID': TENANT }, signal: AbortSignal.timeout(300_000) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${body.slice(0, 300)}`);
  return { ms: performance.now() - t0, body };
}

/** Equal answers but for float rounding: the same groups, values within 1e-9 relative. */
function sameAnswer(a: string, b: string): boolean {
  type V = { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  const rows = (x: string) => new Map((JSON.parse(x) as V).data.result.map((r) => [JSON.stringify(r.metric), Number(r.value[1])]));
  const ra = rows(a);
  const rb = rows(b);
  return ra.size === rb.size && ra.size > 0 && [...ra].every(([k, v]) => {
    const w = rb.get(k);
    return w !== undefined && Math.abs(v - w) <= 1e-9 * Math.max(Math.abs(v), Math.abs(w));
  });
}

async function measure(queriers: number): Promise<{ walls: number[]; cpu: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-bench-sharding-'));
  const run = (shards: number) => startMyelin({ dir, flags: [`-querier.max-concurrent=${queriers}`, '-query-frontend.parallelize-shardable-queries=true', `-query-frontend.query-sharding-total-shards=${shards}`] });
  let s: (BenchServer & { httpPort: number }) | undefined;
  try {
    // The unsharded answer first (1 shard: not rewritten), then the same data (WAL replayed) sharded.
    s = await run(1);
    const loaded = await sendLoad(s.url + s.push, buildRequests(load, { start: dataEnd - rounds * STEP, sets }), load);
    const reference = await query(s);
    const plain = await runs(s);
    await s.proc.stop('SIGTERM');
    s = await run(SHARDS);
    const warm = await query(s);
    if (!sameAnswer(warm.body, reference.body)) throw new Error('the sharded answer differs from the unsharded one');
    const sharded = await runs(s);
    console.log(`${queriers} querier(s), ${loaded.ackedSamples} samples: unsharded wall min/median/max ${stats(plain.walls)} ms, ${(plain.cpu * 1000).toFixed(0)} ms CPU per query; `
      + `sharded into ${SHARDS}: ${stats(sharded.walls)} ms, ${(sharded.cpu * 1000).toFixed(0)} ms CPU`);
    return sharded;
  } finally {
    await s?.proc.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

/** RUNS queries one after another: their wall times and the process's CPU per query. */
async function runs(s: BenchServer): Promise<{ walls: number[]; cpu: number }> {
  const cpu0 = await cpuSeconds(s.pid);
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) walls.push((await query(s)).ms);
  return { walls, cpu: ((await cpuSeconds(s.pid)) - cpu0) / RUNS };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0].toFixed(0)}/${s[Math.floor(s.length / 2)].toFixed(0)}/${s[s.length - 1].toFixed(0)}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${QUERY} over ${SERIES} series × ${rounds} samples, instant, sharded into ${SHARDS}`);
const one = await measure(1);
const two = await measure(2);
console.log(`2 queriers vs 1: ${(median(one.walls) / median(two.walls)).toFixed(2)}× faster (median wall)`);
