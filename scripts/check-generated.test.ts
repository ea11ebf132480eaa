// Fails when pkg/generated/ differs from what proto/ generates (Cortex's `check-protos`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

// The header names the protoc version that ran; only the code below it has to match.
const withoutVersionHeader = (text: string) => text.replace(/^\/\/ {3}protoc {15}v.*$/m, '');

test('pkg/generated matches what proto/ generates', () => {
  const out = mkdtempSync(join(tmpdir(), 'myelin-gen-'));
  try {
    execFileSync('bash', ['scripts/generate-proto.sh', out], { cwd: repoRoot, stdio: 'pipe' });
    const committedDir = join(repoRoot, 'pkg/generated');
    const fresh = listFiles(out).map((p) => relative(out, p)).sort();
    const committed = listFiles(committedDir).map((p) => relative(committedDir, p)).sort();
    assert.deepEqual(committed, fresh, 'generated file list differs: run `npm run generate`');
    for (const file of fresh) {
      assert.equal(
        withoutVersionHeader(readFileSync(join(committedDir, file), 'utf8')),
        withoutVersionHeader(readFileSync(join(out, file), 'utf8')),
        `pkg/generated/${file} is stale: run \`npm run generate\``,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
