// Series built from the chunks store-gateways returned. One series may arrive several times: from
// several blocks (overlapping blocks, e.g. the RF ingesters each shipped one) and from replicas
// that were retried. All its chunks are gathered, sorted by start, and split into lanes of
// non-overlapping chunks; each lane is read in order and the lanes are chained, which keeps one
// sample per timestamp (the replica dedupe).
import { Labels } from '../model/labels/index.js';
import { ChainSampleIterator, seriesSetOf, type SampleIterator, type Series, type SeriesSet } from '../storage/index.js';
import { ChunksSampleIterator } from '../tsdb/index.js';
import { chunkSampleCount } from '../tsdb/block/index.js';
import { Encoding } from '../tsdb/chunkenc/index.js';
import { labelsFromWire } from '../wire/index.js';
import type { StoredChunk, StoredSeries } from '../generated/myelin/storegateway.js';

interface Lane {
  bytes: Uint8Array[];
  encodings: number[];
  counts: number[];
  minTs: number[];
  maxTs: number[];
}

export class StoreSeries implements Series {
  readonly labels: Labels;
  readonly #lanes: Lane[];
  readonly #mint: number;
  readonly #maxt: number;

  constructor(labels: Labels, chunks: StoredChunk[], mint: number, maxt: number) {
    this.labels = labels;
    this.#mint = mint;
    this.#maxt = maxt;
    chunks.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
    const lanes: Lane[] = [];
    for (const c of chunks) {
      let lane = lanes.find((l) => l.maxTs[l.maxTs.length - 1] < c.minTime);
      if (lane === undefined) lanes.push((lane = { bytes: [], encodings: [], counts: [], minTs: [], maxTs: [] }));
      lane.bytes.push(c.data);
      // A store-gateway that predates histogram chunks leaves the encoding unset (0): XOR.
      lane.encodings.push(c.encoding === 0 ? Encoding.XOR : c.encoding);
      lane.counts.push(chunkSampleCount(c.data));
      lane.minTs.push(c.minTime);
      lane.maxTs.push(c.maxTime);
    }
    this.#lanes = lanes;
  }

  iterator(): SampleIterator {
    const its = this.#lanes.map((l) => {
      const it = new ChunksSampleIterator();
      it.reset(l, this.#mint, this.#maxt);
      return it;
    });
    return its.length === 1 ? its[0] : new ChainSampleIterator(its);
  }
}

/**
 * Groups the series of every response by labels and returns them sorted, as a SeriesSet. Series
 * without chunks in [mint, maxt] are left out, but for a `labelsOnly` read, whose series come
 * without chunks (the store-gateway chose them by their chunks' times).
 */
export function storeSeriesSet(responses: readonly StoredSeries[][], mint: number, maxt: number, labelsOnly = false): SeriesSet {
  const byKey = new Map<string, { labels: Labels; chunks: StoredChunk[] }>();
  for (const list of responses) {
    for (const s of list) {
      const labels = labelsFromWire(s.labels);
      let g = byKey.get(labels.key);
      if (g === undefined) byKey.set(labels.key, (g = { labels, chunks: [] }));
      for (const c of s.chunks) if (c.maxTime >= mint && c.minTime <= maxt) g.chunks.push(c);
    }
  }
  const series = [...byKey.values()]
    .filter((g) => labelsOnly || g.chunks.length > 0)
    .sort((a, b) => Labels.compare(a.labels, b.labels))
    .map((g) => new StoreSeries(g.labels, g.chunks, mint, maxt));
  return seriesSetOf(series);
}
