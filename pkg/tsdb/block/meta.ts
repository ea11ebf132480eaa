import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isUlid } from './ulid.js';

export const META_FILENAME = 'meta.json';
export const META_VERSION = 1;

export interface BlockStats {
  numSamples: number;
  numSeries: number;
  numChunks: number;
  numTombstones?: number;
}

/** A block named by id and time range, as listed in `compaction.parents`. */
export interface BlockDesc {
  ulid: string;
  minTime: number;
  maxTime: number;
}

export interface BlockCompaction {
  /** 1 for blocks cut from a head, parents' max + 1 after compaction. */
  level: number;
  /** ULIDs of the level-1 blocks this one's data came from. */
  sources: string[];
  parents?: BlockDesc[];
  deletable?: boolean;
  failed?: boolean;
  hints?: string[];
}

/**
 * The `thanos` section Thanos and Cortex/Mimir add; Prometheus ignores it. External labels identify
 * the producer (Cortex puts the tenant under `__org_id__`). Unknown keys are kept as read.
 */
export interface ThanosMeta {
  labels: Record<string, string>;
  downsample: { resolution: number };
  /** Who made the block: "sidecar", "compactor", "receive", "ingester", … */
  source: string;
  segment_files?: string[];
  files?: { rel_path: string; size_bytes?: number }[];
  [extra: string]: unknown;
}

export interface BlockMeta {
  ulid: string;
  /** First millisecond covered (inclusive). */
  minTime: number;
  /** End of the range (exclusive): the last sample's timestamp + 1. */
  maxTime: number;
  stats: BlockStats;
  compaction: BlockCompaction;
  version: number;
  thanos?: ThanosMeta;
}

/** The label Cortex uses for the tenant in `thanos.labels`. */
export const TENANT_EXTERNAL_LABEL = '__org_id__';

/** The tenant recorded in the Thanos labels, or undefined. */
export function blockTenant(meta: BlockMeta): string | undefined {
  return meta.thanos?.labels[TENANT_EXTERNAL_LABEL];
}

/** Reads and validates `<dir>/meta.json`. */
export async function readMeta(dir: string): Promise<BlockMeta> {
  const path = join(dir, META_FILENAME);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`read ${path}`, { cause: err });
  }
  return validateMeta(raw, path);
}

export function validateMeta(raw: unknown, where: string): BlockMeta {
  const m = raw as BlockMeta;
  const bad = (why: string): Error => new Error(`invalid block meta ${where}: ${why}`);
  if (typeof m !== 'object' || m === null) throw bad('not an object');
  if (m.version !== META_VERSION) throw bad(`unsupported version ${String(m.version)}`);
  if (typeof m.ulid !== 'string' || !isUlid(m.ulid)) throw bad(`bad ulid ${JSON.stringify(m.ulid)}`);
  if (!Number.isSafeInteger(m.minTime) || !Number.isSafeInteger(m.maxTime) || m.minTime > m.maxTime) {
    throw bad(`bad time range [${m.minTime}, ${m.maxTime})`);
  }
  if (typeof m.stats !== 'object' || m.stats === null) throw bad('missing stats');
  if (typeof m.compaction !== 'object' || m.compaction === null || !Number.isInteger(m.compaction.level)) {
    throw bad('missing compaction level');
  }
  if (!Array.isArray(m.compaction.sources)) m.compaction.sources = [];
  if (m.thanos !== undefined) {
    if (typeof m.thanos !== 'object' || m.thanos === null) throw bad('thanos section is not an object');
    m.thanos.labels ??= {};
    m.thanos.downsample ??= { resolution: 0 };
    m.thanos.source ??= '';
  }
  return m;
}

/**
 * Writes `<dir>/meta.json` atomically (temp file, fsync, rename), tab-indented as Prometheus writes
 * it. Absent optional fields are left out, so Prometheus' reader sees exactly its own shape.
 */
export async function writeMeta(dir: string, meta: BlockMeta): Promise<void> {
  const path = join(dir, META_FILENAME);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(meta, null, '\t') + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
