// Property: any shardable query over any data gives the same answer sharded (any number of
// shards, shard queries evaluated over the TSDB head, which selects each shard's series) as
// unsharded. Series grow at random real rates so that topk/bottomk have no ties to break
// differently; sums of rates may differ in the last bits (the order of additions), hence the
// relative tolerance (and count_values over a sharded sum or avg, whose label is the value, is
// left out: it may differ in the last digit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Labels } from '../model/labels/index.js';
import { Engine } from '../promql/index.js';
import type { QueryResult } from '../promql/index.js';
import { Head } from '../tsdb/index.js';
import { ShardingEngine, answerBody } from './sharding-testing.js';

const aggregations = ['sum', 'min', 'max', 'count', 'avg', 'group', 'topk', 'bottomk'];
const groupings = ['', ' by (job)', ' without (instance)', ' by (job, env)'];
const inners = ['x', 'rate(x[5m])', 'x * 2', 'max_over_time(x[3m])', 'x offset 1m', '-x', 'increase(x[2m] @ 600)'];
const wrappers = ['%', 'max(%)', '% / scalar(sum(x))', 'sort_desc(%)', '% + on () group_left count(x)', 'label_replace(%, "l", "$1", "job", "(.*)")', '% > bool 4'];

const query = fc.record({
  agg: fc.constantFrom(...aggregations),
  grouping: fc.constantFrom(...groupings),
  inner: fc.constantFrom(...inners),
  wrap: fc.constantFrom(...wrappers),
}).map(({ agg, grouping, inner, wrap }) => {
  const a = agg.endsWith('k') ? `${agg}${grouping} (2, ${inner})` : `${agg}${grouping} (${inner})`;
  return wrap.replace('%', a);
});

// Distinct slopes: equal ones (a shrink toward the minimum makes them) would be ties for topk/bottomk.
const data = fc.uniqueArray(fc.record({ job: fc.constantFrom('a', 'b', 'c'), env: fc.constantFrom('p', 'q'), gaps: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }), slope: fc.double({ min: 1, max: 100, noNaN: true }) }), { minLength: 1, maxLength: 40, selector: (s) => s.slope });

test('sharded and unsharded answers are equal on random data and queries', async () => {
  await fc.assert(fc.asyncProperty(data, query, fc.integer({ min: 2, max: 9 }), fc.constantFrom(30_000, 60_000, 120_000), fc.integer({ min: 0, max: 24 }),
    async (series, q, shards, step, at) => {
      const head = await Head.open({}, { registry: new Registry() });
      try {
        const app = head.appender();
        for (let k = 0; k < 25; k++) {
          series.forEach((s, i) => {
            if (!s.gaps[k] || k === 0) app.append(0, Labels.fromRecord({ __name__: 'x', job: s.job, env: s.env, instance: `i${i}` }), k * 60_000, k * s.slope + i / 64);
          });
        }
        await app.commit();
        const plain = new Engine({ timeout: 60_000 });
        const sharded = new ShardingEngine(shards);
        same(await sharded.rangeQuery(head, q, 0, 24 * 60_000, step), await plain.rangeQuery(head, q, 0, 24 * 60_000, step), `${q} range/${step}`);
        same(await sharded.instantQuery(head, q, at * 60_000), await plain.instantQuery(head, q, at * 60_000), `${q} @${at}m`);
        assert.ok(sharded.sharded === 2, `${q} was not sharded`);
      } finally {
        await head.close();
      }
    }), { numRuns: 80 });
});

/** Equal answers: the same series in any order (sort_desc's vector in descending order), points within 1e-9 relative. */
function same(got: QueryResult, want: QueryResult, what: string): void {
  const g = JSON.parse(answerBody(got)) as Answer;
  const w = JSON.parse(answerBody(want)) as Answer;
  assert.equal(g.data.resultType, w.data.resultType, what);
  if (what.startsWith('sort_desc') && g.data.resultType === 'vector') {
    const vs = (g.data.result as Row[]).map((s) => Number(s.value?.[1]));
    for (let i = 1; i < vs.length; i++) assert.ok(!(vs[i] > vs[i - 1]), `${what}: not in descending order: ${vs.join(', ')}`);
  }
  const rows = (a: Answer): Array<[string, string[]]> => {
    const r = (a.data.result as Row[]).map((s): [string, string[]] => [JSON.stringify(s.metric), (s.values ?? [s.value]).map((p) => `${p?.[0]} ${p?.[1]}`)]);
    return r.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  };
  const gr = rows(g);
  const wr = rows(w);
  assert.deepEqual(gr.map((r) => r[0]), wr.map((r) => r[0]), `${what}: series`);
  for (let i = 0; i < gr.length; i++) {
    assert.equal(gr[i][1].length, wr[i][1].length, `${what}: points of ${gr[i][0]}`);
    gr[i][1].forEach((p, j) => assert.ok(close(p, wr[i][1][j]), `${what}: ${gr[i][0]} ${p}, want ${wr[i][1][j]}`));
  }
}

interface Row { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }
interface Answer { data: { resultType: string; result: unknown } }

function close(a: string, b: string): boolean {
  const [ta, va] = a.split(' ');
  const [tb, vb] = b.split(' ');
  if (ta !== tb) return false;
  if (va === vb) return true;
  const x = Number(va);
  const y = Number(vb);
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}
