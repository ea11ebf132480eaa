// Every recursive walk of the AST (parser, type, printers, selection, evaluator) handles queries as
// deep as the parser allows, in a worker thread with a 1 MB stack (a quarter of Node's default for
// workers) and with cold code, whose stack frames are the largest.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Labels } from '../model/labels/index.js';
import { Engine } from './engine.js';
import { exprToString, maxNestingDepth, parseExpr, prettyPrint, typeOf } from './parser/index.js';
import { deepQueries } from './parser/testing.js';
import { MemoryStorage } from './promqltest/memory-storage.js';

/** Runs every walk over `query`; answers 'ok' or what failed. */
async function walkAll(query: string): Promise<string> {
  const db = new MemoryStorage();
  for (let i = 0; i <= 10; i++) {
    db.append(Labels.fromRecord({ __name__: 'a', job: 'api-server', j: 'x' }), i * 15_000, 1);
    db.append(Labels.fromRecord({ __name__: 'http_requests_total', job: 'api-server', instance: 'host-1' }), i * 15_000, i);
  }
  const engine = new Engine();
  try {
    const e = parseExpr(query);
    exprToString(e);
    prettyPrint(e);
    typeOf(e);
    // Instant queries take the evaluator's same recursive path as range ones, at less cost.
    const r = await engine.instantQuery(db, query, 150_000);
    const v = r.value;
    if ((v.type === 'vector' && v.vector.length === 0) || (v.type === 'matrix' && v.matrix.length === 0)) return 'empty result';
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

if (!isMainThread) {
  const out: Record<string, string> = {};
  for (const [name, q] of Object.entries(deepQueries)) out[name] = await walkAll(q(workerData as number));
  parentPort?.postMessage(out);
} else {
  test(`queries ${maxNestingDepth} levels deep evaluate in a worker with a 1 MB stack`, async () => {
    const worker = new Worker(new URL(import.meta.url), { workerData: maxNestingDepth, resourceLimits: { stackSizeMb: 1 } });
    const results = await new Promise<Record<string, string>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const want = Object.fromEntries(Object.keys(deepQueries).map((k) => [k, 'ok']));
    assert.deepEqual(results, want);
  });
}
