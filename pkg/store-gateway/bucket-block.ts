// Opens a block that lives in a bucket: meta.json and tombstones are read whole, the index through
// its local index-header plus range requests, the chunk segments through range requests. Postings,
// series and chunks reads go through the caches, keyed by tenant, block and file.
import { join } from 'node:path';
import type { BucketReader } from '../bucket/index.js';
import type { Cache } from '../cache/index.js';
import { Block, META_FILENAME, TOMBSTONES_FILENAME, decodeTombstones, validateMeta, type Tombstones } from '../tsdb/block/index.js';
import { SegmentReader, segmentName } from '../tsdb/chunks/index.js';
import { IndexReader, type TOC } from '../tsdb/index/index.js';
import { BucketRangeReader, CachingRangeReader } from './bucket-reader.js';
import { IndexHeaderReader } from './index-header.js';

export interface BlockCaches {
  postings: Cache;
  series: Cache;
  chunks: Cache;
}

export const INDEX_HEADER_FILENAME = 'index-header';

/**
 * `tb` is the tenant's view of the bucket; `localDir` is where this block's index-header lives
 * (`<sync dir>/<tenant>/<block>`).
 */
export async function openBucketBlock(tb: BucketReader, tenant: string, id: string, localDir: string, caches: BlockCaches): Promise<Block> {
  const meta = validateMeta(JSON.parse((await tb.get(`${id}/${META_FILENAME}`)).toString('utf8')), `${tenant}/${id}/${META_FILENAME}`);
  if (meta.ulid !== id) throw new Error(`meta.json of block ${id} names block ${meta.ulid}`);
  const stones = await readTombstones(tb, id);

  const indexName = `${id}/index`;
  const indexSize = (await tb.attributes(indexName)).size;
  // The TOC is known once the index-header is open; until then reads bypass the caches.
  const known: { toc: TOC | undefined } = { toc: undefined };
  const pick = (off: number): Cache | undefined => {
    const toc = known.toc;
    if (toc === undefined) return undefined;
    if (off >= toc.series && off < toc.labelIndices) return caches.series;
    if (off >= toc.postings && off < toc.labelIndicesTable) return caches.postings;
    return undefined;
  };
  const cachedIndex = new CachingRangeReader(new BucketRangeReader(tb, indexName, indexSize), `${tenant}/${id}/index`, pick);
  const header = await IndexHeaderReader.open(join(localDir, INDEX_HEADER_FILENAME), cachedIndex);
  known.toc = header.toc;
  const index = await IndexReader.fromReader(header);
  try {
    const segments = await openSegments(tb, tenant, id, caches.chunks);
    return Block.fromParts(`${tenant}/${id}`, meta, index, segments, stones);
  } catch (err) {
    await index.close();
    throw err;
  }
}

async function readTombstones(tb: BucketReader, id: string): Promise<Tombstones> {
  const name = `${id}/${TOMBSTONES_FILENAME}`;
  try {
    return decodeTombstones(await tb.get(name), name);
  } catch (err) {
    if (tb.isObjNotFoundErr(err)) return new Map();
    throw err;
  }
}

async function openSegments(tb: BucketReader, tenant: string, id: string, cache: Cache): Promise<SegmentReader> {
  const names: string[] = [];
  await tb.iter(`${id}/chunks`, (n) => void names.push(n));
  const readers: CachingRangeReader[] = [];
  for (let i = 0; i < names.length; i++) {
    const want = `${id}/chunks/${segmentName(i)}`;
    if (names[i] !== want) throw new Error(`block ${id}: chunk segment ${want} missing (found ${names[i]})`);
    const size = (await tb.attributes(want)).size;
    readers.push(new CachingRangeReader(new BucketRangeReader(tb, want, size), `${tenant}/${want}`, () => cache));
  }
  // Queries only: chunks are served unchecked, as Prometheus and Thanos serve them.
  return SegmentReader.fromReaders(readers, false);
}
