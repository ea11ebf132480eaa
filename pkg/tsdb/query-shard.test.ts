// `__query_shard__` in the TSDB's selects: the head (ingesters) and blocks (store-gateways) put
// each series in the same one shard, and apply the other matchers as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels, Matcher, MatchType, inQueryShard, queryShardHash } from '../model/labels/index.js';
import type { Queryable } from '../storage/index.js';
import { Block, listChunkSeriesSet, writeBlock } from './block/index.js';
import { toChunkSeries } from './block/block-test-util.js';
import { Head } from './head.js';

const series = Array.from({ length: 300 }, (_, i) => ({
  labels: { __name__: i % 2 === 0 ? 'x' : 'y', job: `j${i % 5}`, instance: `i${i}` },
  samples: [[1000, i], [2000, i + 1]] as [number, number][],
}));

async function selected(q: Queryable, ...matchers: Matcher[]): Promise<string[]> {
  const querier = await q.querier(0, 10_000);
  const set = querier.select({ start: 0, end: 10_000, step: 0, func: '', range: 0, sortSeries: true }, ...matchers);
  const out: string[] = [];
  while (await set.next()) out.push(set.at().labels.toString());
  const err = set.err();
  await querier.close();
  if (err !== undefined) throw err;
  return out;
}

test('head and block select each series in exactly its one shard, the same in both', async () => {
  const head = await Head.open({}, { registry: new Registry() });
  const app = head.appender();
  for (const t of [1000, 2000]) for (const s of series) app.append(0, Labels.fromRecord(s.labels), t, s.samples[t / 1000 - 1][1]);
  await app.commit();
  const dir = await mkdtemp(join(tmpdir(), 'myelin-query-shard-'));
  const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
  assert.ok(meta !== undefined);
  const block = await Block.open(join(dir, meta.ulid));
  try {
    const x = new Matcher(MatchType.Equal, '__name__', 'x');
    const all = await selected(head, x);
    assert.equal(all.length, 150);
    for (const n of [1, 3, 7]) {
      const union: string[] = [];
      for (let i = 1; i <= n; i++) {
        const shard = new Matcher(MatchType.Equal, '__query_shard__', `${i}_of_${n}`);
        const fromHead = await selected(head, x, shard);
        assert.deepEqual(await selected(block, x, shard), fromHead, `${i}_of_${n}: block and head differ`);
        for (const s of series) {
          if (s.labels.__name__ !== 'x') continue;
          const ls = Labels.fromRecord(s.labels);
          assert.equal(fromHead.includes(ls.toString()), inQueryShard(queryShardHash(ls), { index: i, count: n }));
        }
        union.push(...fromHead);
      }
      assert.deepEqual(union.sort(), [...all].sort(), `shards of ${n} do not cover the series exactly once`);
    }
    // Other matchers apply as before; a shard alone selects nothing (no matcher to select by).
    const j1 = await selected(head, x, new Matcher(MatchType.Equal, 'job', 'j1'), new Matcher(MatchType.Equal, '__query_shard__', '1_of_1'));
    assert.equal(j1.length, 30);
    assert.deepEqual(await selected(head, new Matcher(MatchType.Equal, '__query_shard__', '1_of_2')), []);
    // A bad value is an error of the select, not a crash.
    await assert.rejects(selected(head, x, new Matcher(MatchType.Equal, '__query_shard__', '3_of_2')), /__query_shard__/);
    await assert.rejects(selected(block, x, new Matcher(MatchType.Equal, '__query_shard__', 'nope')),
      (err: Error) => err.cause instanceof Error && err.cause.message.includes('__query_shard__'));
  } finally {
    await block.close();
    await head.close();
    await rm(dir, { recursive: true, force: true });
  }
});
