/**
 * Runs every Prometheus promqltest script in shared/promql-testdata against the engine. Every
 * case must pass except those listed in known-failures.json, and a listed case that passes fails
 * the test too, so the list only ever shrinks. Both storages hold native histograms, so no case is
 * unsupported.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exprToString, parseExpr, prettyPrint } from '../parser/index.js';
import { HeadScriptStorage } from './head-storage.js';
import type { ScriptStorage } from './runner.js';
import { CaseStatus, memoryScriptStorage, runScript } from './runner.js';
import { testdataDir } from './testdata.js';

const here = dirname(fileURLToPath(import.meta.url));

// known-failures.json sits in the source tree; tsc does not copy it to dist/.
const knownPath = resolve(here, '../../../../pkg/promql/promqltest/known-failures.json');
const known = new Set(JSON.parse(readFileSync(knownPath, 'utf8')) as string[]);

const dir = testdataDir();
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test'))
  .sort();

test('promqltest conformance scripts are all present', () => {
  assert.ok(files.length >= 15, `found ${files.length} scripts in ${dir}`);
});

for (const [storageName, open] of [
  ['memory', memoryScriptStorage],
  ['head', (): ScriptStorage => new HeadScriptStorage()],
] as const) {
  for (const file of files) {
    test(`promqltest ${file} (${storageName})`, async (t) => {
      const db = open();
      await db.clear();
      const results = await runScript(file, readFileSync(join(dir, file), 'utf8'), db);
      const counts = { passed: 0, failed: 0, unsupported: 0 };
      const regressions: string[] = [];
      const fixed: string[] = [];
      for (const r of results) {
        counts[r.status]++;
        if (r.status === CaseStatus.Failed && !known.has(r.id)) regressions.push(`${r.id}: ${r.reason}`);
        if (r.status === CaseStatus.Passed && known.has(r.id)) fixed.push(r.id);
      }
      t.diagnostic(
        `${file} (${storageName}): passed ${counts.passed}, failed ${counts.failed}, unsupported ${counts.unsupported}`,
      );
      assert.deepEqual(regressions, [], 'cases failing that are not in known-failures.json');
      assert.deepEqual(fixed, [], 'cases in known-failures.json that no longer fail: remove them from the list');
    });
  }
}

test('every query of the scripts prints back to itself (String and Pretty)', () => {
  let n = 0;
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const m = /^eval\S*\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$/.exec(line);
      if (m === null) continue;
      let printed: string;
      try {
        printed = exprToString(parseExpr(m[1]));
      } catch {
        continue; // eval_fail cases with parse errors
      }
      assert.equal(exprToString(parseExpr(printed)), printed, `${file}: ${m[1]}`);
      assert.equal(exprToString(parseExpr(prettyPrint(parseExpr(m[1])))), printed, `${file}: ${m[1]} (pretty)`);
      n++;
    }
  }
  assert.ok(n > 1000, `only ${n} queries`);
});
