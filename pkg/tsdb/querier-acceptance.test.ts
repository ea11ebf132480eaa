// The Querier acceptance suite (pkg/storage/acceptance.ts) against the TSDB's queriers: the head,
// a block written to disk and read back, and the two merged (older half in the block, newer half
// in the head), as the ingester and the store-gateway serve them.
import { describe } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels } from '../model/labels/index.js';
import { mergeQueriers, type Queryable } from '../storage/index.js';
import { querierAcceptance, type AcceptanceSeries, type OpenedQueryable } from '../storage/acceptance.js';
import { Block, listChunkSeriesSet, writeBlock } from './block/index.js';
import { toChunkSeries } from './block/block-test-util.js';
import { Head } from './head.js';

/** A head holding `series`, appended in time order (the head refuses samples far behind its max time). */
async function openHead(series: readonly AcceptanceSeries[]): Promise<Head> {
  const head = await Head.open({}, { registry: new Registry() });
  const all = series.flatMap((s) => s.samples.map(([t, v]) => ({ labels: Labels.fromRecord(s.labels), t, v })));
  const app = head.appender();
  for (const s of all.sort((a, b) => a.t - b.t)) app.append(0, s.labels, s.t, s.v);
  await app.commit();
  return head;
}

async function openBlock(series: readonly AcceptanceSeries[]): Promise<{ block: Block; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-querier-acceptance-'));
  const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)));
  if (meta === undefined) throw new Error('BUG: the acceptance data wrote no block');
  const block = await Block.open(join(dir, meta.ulid));
  return { block, close: async () => {
    await block.close();
    await rm(dir, { recursive: true, force: true });
  } };
}

describe('head querier', () => {
  querierAcceptance(async (series): Promise<OpenedQueryable> => {
    const head = await openHead(series);
    return { queryable: head, close: () => head.close() };
  });
});

describe('block querier', () => {
  querierAcceptance(async (series) => {
    const { block, close } = await openBlock(series);
    return { queryable: block, close };
  });
});

describe('merged block and head queriers', () => {
  querierAcceptance(async (series) => {
    const split = 60 * 60_000;
    const part = (keep: (t: number) => boolean) => series.map((s) => ({ ...s, samples: s.samples.filter(([t]) => keep(t)) })).filter((s) => s.samples.length > 0);
    const { block, close } = await openBlock(part((t) => t < split));
    const head = await openHead(part((t) => t >= split));
    const merged: Queryable = {
      querier: async (mint, maxt) => mergeQueriers([await block.querier(mint, maxt), await head.querier(mint, maxt)]),
    };
    return { queryable: merged, close: async () => {
      await head.close();
      await close();
    } };
  });
});
