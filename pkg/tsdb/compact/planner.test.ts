import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockMeta } from '../block/index.js';
import { planCompaction } from './planner.js';

const H = 3600_000;

function meta(id: string, minH: number, maxH: number, extra: Partial<BlockMeta['compaction']> = {}): BlockMeta {
  return {
    ulid: id,
    minTime: minH * H,
    maxTime: maxH * H,
    stats: { numSamples: 1, numSeries: 1, numChunks: 1 },
    compaction: { level: 1, sources: [id], ...extra },
    version: 1,
  };
}

test('planner picks what Prometheus would', () => {
  const cases: Record<string, { blocks: BlockMeta[]; want: string[] }> = {
    'nothing to do with one block': { blocks: [meta('a', 0, 2)], want: [] },
    'two 2h blocks: the newest stays': { blocks: [meta('a', 0, 2), meta('b', 2, 4)], want: [] },
    'overlapping replicas first': {
      blocks: [meta('a', 0, 2), meta('b', 0, 2), meta('c', 0, 2), meta('d', 2, 4)],
      want: ['a', 'b', 'c'],
    },
    'overlap chains': { blocks: [meta('a', 0, 2), meta('b', 1, 3), meta('c', 2.5, 4), meta('d', 6, 8)], want: ['a', 'b', 'c'] },
    'a full 12h window': {
      blocks: [0, 2, 4, 6, 8, 10, 12].map((h) => meta(`b${h}`, h, h + 2)),
      want: ['b0', 'b2', 'b4', 'b6', 'b8', 'b10'],
    },
    'an incomplete window before the newest block': {
      blocks: [meta('a', 0, 2), meta('b', 2, 4), meta('c', 14, 16)],
      want: ['a', 'b'],
    },
    'an incomplete window ending where the newest block starts': {
      blocks: [meta('a', 0, 2), meta('b', 2, 4), meta('c', 4, 6)],
      want: ['a', 'b'],
    },
    'two 12h blocks make a 24h one': {
      blocks: [meta('a', 0, 12, { level: 2 }), meta('b', 12, 24, { level: 2 }), meta('c', 24, 26)],
      want: ['a', 'b'],
    },
    'deletable blocks are ignored': {
      blocks: [meta('a', 0, 2, { deletable: true }), meta('b', 0, 2), meta('c', 2, 4)],
      want: [],
    },
    'windows with a failed block are skipped': {
      blocks: [meta('a', 0, 2, { failed: true }), meta('b', 2, 4), meta('c', 14, 16)],
      want: [],
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    assert.deepEqual(planCompaction(c.blocks).map((m) => m.ulid), c.want, name);
  }
});
