/**
 * Blocks are exchanged with Prometheus' own tools: Myelin's blocks pass `promtool tsdb analyze` and
 * `promtool tsdb dump` prints exactly the samples written; blocks made by `promtool tsdb
 * create-blocks-from openmetrics` read back in Myelin with exactly the samples in the input file.
 * Needs /usr/bin/promtool (Debian package `prometheus`, installed by .ci/run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels } from '../../pkg/model/labels/index.js';
import { Block, isUlid, listChunkSeriesSet, readMeta, writeBlock } from '../../pkg/tsdb/block/index.js';
import {
  dumpPlain,
  dumpQueryable,
  promLabelsString,
  toChunkSeries,
  withTempDir,
  type PlainSeries,
  type SampleDump,
} from '../../pkg/tsdb/block/block-test-util.js';
import { PROMTOOL, assertSameDump, parseDump } from './promtool.js';

const run = promisify(execFile);

/** Deterministic pseudo-random series with awkward labels and values. */
function makeSeries(n: number, from: number, span: number): PlainSeries[] {
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const specials = [0, -1.5, 1e-300, 1.7976931348623157e308, Infinity, -Infinity, 0.1 + 0.2, -0];
  const out: PlainSeries[] = [];
  for (let i = 0; i < n; i++) {
    const samples: [number, number][] = [];
    let t = from + Math.floor(rnd() * 60_000);
    while (t < from + span) {
      const v = i % 5 === 0 ? specials[samples.length % specials.length] : Math.round(rnd() * 1e6) / 100;
      samples.push([t, v]);
      t += 1 + Math.floor(rnd() * 30_000);
    }
    out.push({
      labels: {
        __name__: i % 3 === 0 ? 'http_requests_total' : `metric_${i % 4}`,
        instance: `10.0.${i % 7}.${i}:9100`,
        job: ['node', 'api', 'caf\u00e9', 'emoji \u{1f600}', 'quote"back\\slash'][i % 5],
      },
      samples,
    });
  }
  return out;
}

test('promtool analyzes and dumps blocks written by Myelin', async () => {
  await withTempDir(async (dir) => {
    const series = makeSeries(60, 1_700_000_000_000, 90 * 60_000);
    // With the Thanos/Cortex extension section: Prometheus' reader must not mind it.
    const thanos = { labels: { __org_id__: 'tenant-1' }, downsample: { resolution: 0 }, source: 'ingester' };
    const meta = await writeBlock(dir, listChunkSeriesSet(toChunkSeries(series)), { thanos });
    assert.ok(meta !== undefined);
    assert.deepEqual((await readMeta(join(dir, meta.ulid))).thanos, thanos);
    await mkdir(join(dir, 'wal'));

    const analyze = await run(PROMTOOL, ['tsdb', 'analyze', dir, meta.ulid]);
    assert.match(analyze.stdout, new RegExp(`Block ID: ${meta.ulid}`));
    assert.match(analyze.stdout, /Series: 60\n/);

    const dump = await run(PROMTOOL, ['tsdb', 'dump', dir], { maxBuffer: 256 << 20 });
    assertSameDump(parseDump(dump.stdout), dumpPlain(series));
  });
});

/** OpenMetrics text for the series (timestamps in seconds with millisecond fractions). */
function toOpenMetrics(series: readonly PlainSeries[]): string {
  const byName = new Map<string, PlainSeries[]>();
  for (const s of series) {
    const list = byName.get(s.labels.__name__) ?? [];
    list.push(s);
    byName.set(s.labels.__name__, list);
  }
  const fmtV = (v: number): string => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
  const fmtT = (t: number): string => `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  let out = '';
  for (const [name, list] of byName) {
    out += `# TYPE ${name} gauge\n`;
    for (const s of list) {
      const ls = Object.entries(s.labels)
        .filter(([n]) => n !== '__name__')
        .map(([n, v]) => `${n}="${esc(v)}"`)
        .join(',');
      for (const [t, v] of s.samples) out += `${name}{${ls}} ${fmtV(v)} ${fmtT(t)}\n`;
    }
  }
  return out + '# EOF\n';
}

test('Myelin reads blocks written by promtool create-blocks-from openmetrics', async () => {
  await withTempDir(async (dir) => {
    // Five hours from an aligned start: promtool cuts several 2h blocks.
    const series = makeSeries(40, 1_699_999_200_000, 5 * 3600_000).map((s) => ({
      ...s,
      samples: s.samples.filter(([, v]) => !Object.is(v, -0)),
    }));
    await writeFile(join(dir, 'input.om'), toOpenMetrics(series));
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'input.om'), join(dir, 'data')]);
    const ids = (await readdir(join(dir, 'data'))).filter(isUlid).sort();
    assert.ok(ids.length >= 3, `expected several blocks, got ${ids.join(', ')}`);

    const got: SampleDump = new Map();
    let numSamples = 0;
    for (const id of ids) {
      const bdir = join(dir, 'data', id);
      const meta = await readMeta(bdir);
      numSamples += meta.stats.numSamples;
      const b = await Block.open(bdir);
      try {
        for (const [k, v] of await dumpQueryable(b, meta.minTime, meta.maxTime - 1)) {
          got.set(k, [...(got.get(k) ?? []), ...v]);
        }
        // Label values come from the index' postings offset table.
        const q = await b.querier(meta.minTime, meta.maxTime);
        const jobs = await q.labelValues('job', { limit: 0 });
        await q.close();
        assert.ok(jobs.includes('caf\u00e9'));
      } finally {
        await b.close();
      }
    }
    const want = dumpPlain(series);
    assertSameDump(got, want);
    let total = 0;
    for (const v of want.values()) total += v.length;
    assert.equal(numSamples, total);
    assert.ok(got.has(promLabelsString(Labels.fromRecord(series[0].labels))));
  });
});
