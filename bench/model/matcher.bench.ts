// Cost of label regex matchers: CPU ns per match over a mix of label values, and µs to build a
// matcher (parse and compile, as each query does), for the shortcut patterns and general regexes.
//
//   node dist/bench/model/matcher.bench.js             2M matches per matcher, median of 5 runs
//   BENCH_SMOKE=1 node dist/bench/model/matcher.bench.js   a few thousand, one run
import { Matcher, MatchType } from '../../pkg/model/labels/index.js';

const smoke = process.env.BENCH_SMOKE === '1';
const matches = smoke ? 5_000 : 2_000_000;
const builds = smoke ? 50 : 20_000;
const runs = smoke ? 1 : 5;

/** Label values as an index holds them: hosts, ports, paths, metric names, ids. */
const values: string[] = [];
for (let i = 0; i < 1000; i++) {
  const pick = [
    `node-exporter-${i}`,
    `foo${i}bar`,
    `localhost:${9000 + i}`,
    `api_http_requests_${i}_total`,
    `/api/v1/query_range/${i}`,
    `b`,
    `${(i * 2654435761) >>> 0}`.padStart(12, '0'),
  ];
  values.push(pick[i % pick.length]);
}

const patterns: Record<string, string> = {
  'literal set a|b|c': 'a|b|c',
  'prefix foo.*': 'foo.*',
  'contains .*bar.*': '.*bar.*',
  'general foo.*bar': 'foo.*bar',
  'general node-exporter-(1|2|3)\\d*': 'node-exporter-(1|2|3)\\d*',
  'general (?i)API_.*_TOTAL': '(?i)API_.*_TOTAL',
  'general localhost:9[0-9]{3}': 'localhost:9[0-9]{3}',
};

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function cpuNs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}

for (const [name, pattern] of Object.entries(patterns)) {
  const m = new Matcher(MatchType.Regexp, 'l', pattern);
  let hits = 0;
  const matchNs: number[] = [];
  const buildNs: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    hits = 0;
    const ns = cpuNs(() => {
      for (let i = 0; i < matches; i++) if (m.matches(values[i % values.length])) hits++;
    });
    const bns = cpuNs(() => {
      for (let i = 0; i < builds; i++) new Matcher(MatchType.Regexp, 'l', pattern);
    });
    // The first run warms the JIT up and is not counted.
    if (r > 0) {
      matchNs.push(ns / matches);
      buildNs.push(bns / builds);
    }
  }
  console.log(
    `${name.padEnd(36)} match ${median(matchNs).toFixed(0).padStart(5)} ns  build ${(median(buildNs) / 1000).toFixed(1).padStart(6)} µs  (${hits}/${matches} matched)`,
  );
}
