/** Helpers shared by the block, compaction and integration tests (not used in production code). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, Matcher, MatchType } from '../../model/labels/index.js';
import { ValueType, type ChunkSeries, type Querier, type Queryable } from '../../storage/index.js';
import { chunkSeriesFromSamples } from './chunk-builder.js';

/** A series in plain form: canonical label text → samples as [t, v]. */
export type SampleDump = Map<string, [number, number][]>;

export interface PlainSeries {
  labels: Record<string, string>;
  samples: [number, number][];
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-block-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Labels as promtool prints them: `{a="1", b="2"}`, Go-quoted. */
export function promLabelsString(ls: Labels): string {
  const parts: string[] = [];
  ls.forEach((n, v) => parts.push(`${n}=${JSON.stringify(v)}`));
  return `{${parts.join(', ')}}`;
}

/**
 * Every sample a queryable returns for `matchers` (all series when none, as promtool dump) within
 * [mint, maxt], through a querier opened and closed here.
 */
export async function dumpQueryable(queryable: Queryable, mint: number, maxt: number, ...matchers: Matcher[]): Promise<SampleDump> {
  const q = await queryable.querier(mint, maxt);
  try {
    return await dumpQuerier(q, mint, maxt, ...matchers);
  } finally {
    await q.close();
  }
}

export async function dumpQuerier(q: Querier, mint: number, maxt: number, ...matchers: Matcher[]): Promise<SampleDump> {
  const out: SampleDump = new Map();
  if (matchers.length === 0) matchers = [new Matcher(MatchType.Regexp, '__name__', '.*')];
  const set = q.select({ start: mint, end: maxt, step: 0, func: '', range: 0, sortSeries: true }, ...matchers);
  let prev: Labels | undefined;
  while (await set.next()) {
    const s = set.at();
    if (prev !== undefined && Labels.compare(prev, s.labels) >= 0) throw new Error(`series out of order at ${s.labels.toString()}`);
    prev = s.labels;
    const samples: [number, number][] = [];
    const it = s.iterator();
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) samples.push([it.atT(), it.atV()]);
    const err = it.err();
    if (err !== undefined) throw err;
    out.set(promLabelsString(s.labels), samples);
  }
  const err = set.err();
  if (err !== undefined) throw err;
  return out;
}

/** The expected dump of plain series (empty ones left out, samples cut to [mint, maxt]). */
export function dumpPlain(series: readonly PlainSeries[], mint = -Infinity, maxt = Infinity): SampleDump {
  const out: SampleDump = new Map();
  const sorted = series.map((s) => ({ l: Labels.fromRecord(s.labels), s: s.samples })).sort((a, b) => Labels.compare(a.l, b.l));
  for (const { l, s } of sorted) {
    const kept = s.filter(([t]) => t >= mint && t <= maxt);
    if (kept.length > 0) out.set(promLabelsString(l), kept);
  }
  return out;
}

export function toChunkSeries(series: readonly PlainSeries[], samplesPerChunk?: number): ChunkSeries[] {
  return series
    .map((s) =>
      chunkSeriesFromSamples(
        Labels.fromRecord(s.labels),
        s.samples.map((x) => x[0]),
        s.samples.map((x) => x[1]),
        samplesPerChunk,
      ),
    )
    .sort((a, b) => Labels.compare(a.labels, b.labels));
}
