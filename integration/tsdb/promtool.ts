// Reading `promtool tsdb dump` output, for tests that check blocks with Prometheus' own tool.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tenantBucket, type Bucket } from '../../pkg/bucket/index.js';
import { downloadBlock } from '../../pkg/compactor/index.js';
import type { SampleDump } from '../../pkg/tsdb/block/block-test-util.js';

const run = promisify(execFile);

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

function parseGoFloat(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** Parses `promtool tsdb dump` output: `{labels} value timestamp` per line. */
export function parseDump(text: string): SampleDump {
  const out: SampleDump = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(\{.*\}) (\S+) (-?\d+)$/.exec(line);
    assert.ok(m !== null, `unexpected dump line ${JSON.stringify(line)}`);
    let list = out.get(m[1]);
    if (list === undefined) out.set(m[1], (list = []));
    list.push([Number(m[3]), parseGoFloat(m[2])]);
  }
  return out;
}

/** Compares dumps so that -0 and 0 count as equal (promtool prints both as 0) and NaN equals NaN. */
export function assertSameDump(got: SampleDump, want: SampleDump): void {
  const norm = (d: SampleDump): [string, [number, number | string][]][] =>
    [...d].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.map(([t, x]) => [t, Number.isNaN(x) ? 'NaN' : x === 0 ? 0 : x])]);
  assert.deepEqual(norm(got), norm(want));
}

/**
 * Every sample in the blocks of `tenant` that are in `bucket` now, read by `promtool tsdb dump`
 * (which merges overlapping blocks) after downloading them under `workDir`. Blocks marked for
 * deletion count: they are still in the bucket; partial ones (no meta.json yet) do not. Also
 * returns the block IDs read.
 */
export async function dumpBucketBlocks(bucket: Bucket, tenant: string, workDir: string): Promise<{ blocks: string[]; dump: SampleDump }> {
  const tb = tenantBucket(bucket, tenant);
  const blocks: string[] = [];
  await tb.iter('', async (name) => {
    const id = name.replace(/\/$/, '');
    if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id) && (await tb.exists(`${id}/meta.json`))) blocks.push(id);
  });
  const dir = await mkdtemp(join(workDir, 'bucket-dump-'));
  try {
    for (const b of blocks) await downloadBlock(tb, b, dir);
    await mkdir(join(dir, 'wal'));
    const { stdout } = await run(PROMTOOL, ['tsdb', 'dump', dir], { maxBuffer: 64 << 20 });
    return { blocks, dump: parseDump(stdout) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
