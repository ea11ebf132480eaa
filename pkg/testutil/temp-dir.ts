// Temporary directories that a test removes when it ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new directory under the OS temp dir, removed after the test (node:test's `t.after`). */
export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'myelin-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
