import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BlockMeta } from '../tsdb/block/index.js';
import { coveredBlocks, groupByStream, planGroup } from './planner.js';

const H = 3_600_000;
const RANGES = [2 * H, 12 * H, 24 * H];
let n = 0;
function meta(minH: number, maxH: number, o: { sources?: string[]; level?: number; ingester?: string; tenant?: string } = {}): BlockMeta {
  const ulid = `01HAAAAAAAAAAAAAAAAAAAA${String(n++).padStart(3, '0')}`;
  return {
    ulid, minTime: minH * H, maxTime: maxH * H, version: 1,
    stats: { numSamples: 1, numSeries: 1, numChunks: 1 },
    compaction: { level: o.level ?? 1, sources: o.sources ?? [ulid] },
    thanos: { labels: { __org_id__: o.tenant ?? 't', ...(o.ingester !== undefined ? { __ingester_id__: o.ingester } : {}) }, downsample: { resolution: 0 }, source: 'receive' },
  };
}
const ids = (ms: BlockMeta[]) => ms.map((m) => m.ulid).sort();

test('replicas of different ingesters form one stream; other tenants do not', () => {
  const r = [meta(0, 2, { ingester: 'a' }), meta(0, 2, { ingester: 'b' }), meta(0, 2, { tenant: 'u' })];
  assert.deepEqual(groupByStream(r).map((g) => g.length).sort(), [1, 2]);
});

test('planGroup: table', async (t) => {
  const cases: Record<string, { blocks: BlockMeta[]; horizonH: number; want: number[] }> = {
    'overlapping replicas once settled': { blocks: [meta(0, 2), meta(0, 2), meta(0, 2), meta(2, 4)], horizonH: 2, want: [0, 1, 2] },
    'replicas still open to shipping wait': { blocks: [meta(0, 2), meta(0, 2)], horizonH: 1, want: [] },
    'a complete 12h window is levelled': { blocks: [0, 2, 4, 6, 8, 10].map((h) => meta(h, h + 2)), horizonH: 12, want: [0, 1, 2, 3, 4, 5] },
    'a 12h window ending after the horizon waits': { blocks: [0, 2, 4, 6, 8, 10].map((h) => meta(h, h + 2)), horizonH: 11, want: [] },
    'a settled window with a gap is levelled': { blocks: [meta(0, 2), meta(6, 8), meta(14, 16)], horizonH: 16, want: [0, 1] },
    'lone blocks in their windows are left alone': { blocks: [meta(0, 2), meta(24, 26)], horizonH: 60, want: [] },
    '12h blocks into 24h': { blocks: [meta(0, 12, { level: 2 }), meta(12, 24, { level: 2 })], horizonH: 24, want: [0, 1] },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      const got = planGroup(c.blocks, RANGES, c.horizonH * H);
      assert.deepEqual(ids(got), ids(c.want.map((i) => c.blocks[i])));
    });
  }
});

test('coveredBlocks finds the parents of a compacted block, never both of two equal blocks', () => {
  const r = [meta(0, 2), meta(0, 2), meta(0, 2)];
  const merged = meta(0, 2, { level: 2, sources: ids(r) });
  const other = meta(2, 4);
  assert.deepEqual(ids(coveredBlocks([...r, merged, other])), ids(r));
  // Two compactions of the same sources: exactly one survives.
  const twin = meta(0, 2, { level: 2, sources: ids(r) });
  const covered = coveredBlocks([merged, twin]);
  assert.equal(covered.length, 1);
  // A level-3 block covers a level-2 block and the level-1 blocks it was made of.
  const l1 = meta(2, 4);
  const l3 = meta(0, 4, { level: 3, sources: [...ids(r), l1.ulid].sort() });
  assert.deepEqual(ids(coveredBlocks([merged, l1, l3])), ids([merged, l1]));
  assert.deepEqual(coveredBlocks([merged, other]), []);
});
