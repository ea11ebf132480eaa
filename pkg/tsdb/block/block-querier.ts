import { compareUtf8, splitQueryShard, type Matcher } from '../../model/labels/index.js';
import type {
  ChunkQuerier,
  ChunkSeriesSet,
  LabelHints,
  Querier,
  SelectHints,
  Series,
  SeriesSet,
} from '../../storage/index.js';
import type { IndexReader } from '../index/index.js';
import { BlockChunkSeriesSet, type BlockChunkSeries, type BlockReaders } from './block-chunk-series-set.js';
import { ChunksSeries } from '../chunks-series.js';
import { mergeOverlappingChunks } from './chunk-merge.js';
import { blockPostingsForMatchers } from './postings-for-matchers.js';

/** The part shared by the chunk and the sample querier of a block: range, label names and values. */
class BlockQuerierBase {
  protected readonly readers: BlockReaders;
  protected readonly index: IndexReader;
  protected readonly mint: number;
  protected readonly maxt: number;

  readonly #release: () => void;

  constructor(readers: BlockReaders, mint: number, maxt: number, release: () => void) {
    this.#release = release;
    this.readers = readers;
    this.index = readers.index;
    this.mint = mint;
    this.maxt = maxt;
  }

  protected selectChunks(hints: SelectHints | undefined, matchers: Matcher[]): BlockChunkSeriesSet {
    const mint = hints === undefined ? this.mint : Math.max(this.mint, hints.start);
    const maxt = hints === undefined ? this.maxt : Math.min(this.maxt, hints.end);
    // `__query_shard__` (query sharding) is no label: it keeps the series of one shard.
    let split: ReturnType<typeof splitQueryShard>;
    try {
      split = splitQueryShard(matchers);
    } catch (err) {
      return new BlockChunkSeriesSet(this.readers, mint, maxt, () => Promise.reject(err as Error));
    }
    // The series API's select (Prometheus' `series` hint) needs labels only: no chunk is read.
    const labelsOnly = hints?.func === 'series';
    return new BlockChunkSeriesSet(this.readers, mint, maxt, () => blockPostingsForMatchers(this.index, split.rest), split.shard, labelsOnly);
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    if (matchers.length === 0) return limit(this.index.labelNames(), hints);
    const names = new Set<string>();
    for (const s of await this.index.series(await blockPostingsForMatchers(this.index, matchers))) {
      s.labels.forEach((n) => names.add(n));
    }
    return limit(sortedByBytes(names), hints);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    if (matchers.length === 0) return limit(await this.index.labelValues(name), hints);
    const values = new Set<string>();
    for (const s of await this.index.series(await blockPostingsForMatchers(this.index, matchers))) {
      const v = s.labels.get(name);
      if (v !== '') values.add(v);
    }
    return limit(sortedByBytes(values), hints);
  }

  /** Releases the block; series sets already returned must not be read afterwards. */
  async close(): Promise<void> {
    this.#release();
  }
}

function sortedByBytes(set: Set<string>): string[] {
  return [...set].sort(compareUtf8);
}

function limit(list: string[], hints: LabelHints): string[] {
  return hints.limit > 0 && list.length > hints.limit ? list.slice(0, hints.limit) : list;
}

export class BlockChunkQuerier extends BlockQuerierBase implements ChunkQuerier {
  select(hints: SelectHints, ...matchers: Matcher[]): ChunkSeriesSet {
    return this.selectChunks(hints, matchers);
  }
}

export class BlockQuerier extends BlockQuerierBase implements Querier {
  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const mint = Math.max(this.mint, hints.start);
    const maxt = Math.min(this.maxt, hints.end);
    return new BlockSeriesSet(this.selectChunks(hints, matchers), mint, maxt);
  }
}

class BlockSeriesSet implements SeriesSet {
  readonly #chunks: BlockChunkSeriesSet;
  readonly #mint: number;
  readonly #maxt: number;
  #cur: BlockChunkSeries | undefined;

  constructor(chunks: BlockChunkSeriesSet, mint: number, maxt: number) {
    this.#chunks = chunks;
    this.#mint = mint;
    this.#maxt = maxt;
    this.#cur = undefined;
  }

  /**
   * A series whose chunks overlap (possible in blocks other tools wrote) is merged first, so its
   * samples come out in order and once.
   */
  async next(): Promise<boolean> {
    if (!(await this.#chunks.next())) return false;
    let s = this.#chunks.at() as BlockChunkSeries;
    for (let i = 1; i < s.minTs.length; i++) {
      if (s.minTs[i] <= s.maxTs[i - 1]) {
        s = mergeOverlappingChunks([s]) as BlockChunkSeries;
        break;
      }
    }
    this.#cur = s;
    return true;
  }

  at(): Series {
    const s = this.#cur as BlockChunkSeries;
    return new ChunksSeries(s.labels, s, this.#mint, this.#maxt);
  }

  err(): Error | undefined {
    return this.#chunks.err();
  }

  warnings(): readonly string[] {
    return this.#chunks.warnings();
  }
}
