import { rm, truncate } from 'node:fs/promises';
import type { Corruption } from './reader.js';
import { listSegments } from './segments.js';

/**
 * Cuts a WAL back to its valid prefix: truncates the corrupt segment at the end of its last good
 * record and deletes every later segment (their records would follow a gap). Prometheus' wlog.Repair
 * does the same.
 */
export async function repairWal(dir: string, c: Corruption): Promise<{ removedSegments: number[] }> {
  const removed: number[] = [];
  for (const s of listSegments(dir)) {
    if (s.index === c.segment) await truncate(s.path, c.offset);
    else if (s.index > c.segment) {
      await rm(s.path, { force: true });
      removed.push(s.index);
    }
  }
  return { removedSegments: removed };
}
