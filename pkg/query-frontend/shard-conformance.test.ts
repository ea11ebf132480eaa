/**
 * The promqltest scripts through query sharding: every query is rewritten into shards (1, 2, 3
 * and 7 of them), its shard queries evaluated over Myelin's TSDB head (which selects the shards'
 * series itself), and the outer expression evaluated over their answers as the frontend does. The
 * verdicts must be those of the unsharded engine: every case passes but the known failures.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HeadScriptStorage } from '../promql/promqltest/head-storage.js';
import { CaseStatus, runScript } from '../promql/promqltest/runner.js';
import { testdataDir } from '../promql/promqltest/testdata.js';
import { ShardingEngine } from './sharding-testing.js';

const here = dirname(fileURLToPath(import.meta.url));
const known = new Set(JSON.parse(readFileSync(resolve(here, '../../../pkg/promql/promqltest/known-failures.json'), 'utf8')) as string[]);
const dir = testdataDir();
const files = readdirSync(dir).filter((f) => f.endsWith('.test')).sort();

for (const shards of [1, 2, 3, 7]) {
  test(`promqltest scripts sharded into ${shards}: the unsharded verdicts`, async (t) => {
    const regressions: string[] = [];
    let sharded = 0;
    for (const file of files) {
      const engine = new ShardingEngine(shards);
      const db = new HeadScriptStorage();
      await db.clear();
      for (const r of await runScript(file, readFileSync(join(dir, file), 'utf8'), db, engine)) {
        if (r.status === CaseStatus.Failed && !known.has(r.id)) regressions.push(`${r.id}: ${r.reason}`);
      }
      await db.clear();
      sharded += engine.sharded;
    }
    t.diagnostic(`${sharded} queries sharded into ${shards}`);
    assert.deepEqual(regressions, []);
    assert.ok(sharded > 500, `only ${sharded} queries were sharded`);
  });
}
