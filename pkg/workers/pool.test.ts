import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { AggregatorRegistry, Registry } from 'prom-client';
import { RemoteError } from './rpc.js';
import { TaskCanceledError, TaskTimeoutError, WorkerExitError, WorkerPool } from './pool.js';

const script = new URL('./testing-worker.js', import.meta.url);

async function newPool(size: number, opts: { heapMb?: number } = {}) {
  const registry = new Registry();
  const pool = new WorkerPool(
    { name: 'test', size, script, workerData: null, killGrace: 200, resourceLimits: opts.heapMb ? { maxOldGenerationSizeMb: opts.heapMb } : undefined },
    { logger: pino({ level: 'silent' }), registry },
  );
  await pool.start();
  return { pool, registry };
}

const inSeconds = (s: number) => Date.now() + s * 1000;

test('tasks run on the workers; errors come back with their name, message and fields', async (t) => {
  const { pool } = await newPool(2);
  t.after(() => pool.stop());
  const got = await pool.run<{ value: number; deadline: number }>('a', 'echo', { value: 7 }, { deadline: inSeconds(10) });
  assert.equal(got.value, 7);
  assert.ok(got.deadline > Date.now(), 'the task carries its deadline');
  await assert.rejects(pool.run('a', 'fail', {}, { deadline: inSeconds(10) }), (err: unknown) =>
    err instanceof RemoteError && err.message === 'task failed on purpose' && err.fields.code === 'PURPOSE');
});

test('what a task emits reaches onData in order, before its answer', async (t) => {
  const { pool } = await newPool(1);
  t.after(() => pool.stop());
  const got: number[][] = [];
  const answer = await pool.run('a', 'parts', { parts: 50 }, { deadline: inSeconds(10), onData: (b) => got.push([...b]) });
  assert.equal(answer, 'sent');
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => [i, i, i]));
});

test('a task past its deadline is answered at once; a worker that does not stop is replaced', async (t) => {
  const { pool, registry } = await newPool(1);
  t.after(() => pool.stop());
  const started = Date.now();
  await assert.rejects(pool.run('a', 'spin', {}, { deadline: inSeconds(0.3) }), TaskTimeoutError);
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 1000, `answered ${took} ms after the start, deadline was 300 ms`);
  // The spinning worker is terminated after the grace and a new one takes the next task.
  const got = await pool.run<{ value: string }>('a', 'echo', { value: 'after' }, { deadline: inSeconds(20) });
  assert.equal(got.value, 'after');
  const text = await registry.metrics();
  assert.match(text, /myelin_test_worker_restarts_total\{reason="abandoned"\} 1/);
  assert.match(text, /myelin_test_worker_tasks_total\{outcome="timeout"\} 1/);
});

test('a cooperative task is canceled; its worker is replaced and ends', async (t) => {
  const { pool, registry } = await newPool(1);
  t.after(() => pool.stop());
  const ac = new AbortController();
  const p = pool.run('a', 'sleep', { ms: 30_000 }, { deadline: inSeconds(60), signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, TaskCanceledError);
  assert.equal((await pool.run<{ value: number }>('a', 'echo', { value: 1 }, { deadline: inSeconds(10) })).value, 1);
  assert.match(await registry.metrics(), /restarts_total\{reason="abandoned"\} 1/);
});

test('a task waiting in the queue times out there', async (t) => {
  const { pool } = await newPool(1);
  t.after(() => pool.stop());
  const busy = pool.run('a', 'sleep', { ms: 1000 }, { deadline: inSeconds(10) });
  await assert.rejects(pool.run('b', 'echo', {}, { deadline: inSeconds(0.2) }), (err: unknown) => err instanceof TaskTimeoutError && err.queued);
  assert.equal(await busy, 'slept');
});

test('waiting tasks are taken round-robin by key', async (t) => {
  const { pool } = await newPool(1);
  t.after(() => pool.stop());
  const order: string[] = [];
  const busy = pool.run('x', 'sleep', { ms: 200 }, { deadline: inSeconds(10) });
  const runs = [];
  for (const [key, value] of [['a', 'a1'], ['a', 'a2'], ['a', 'a3'], ['b', 'b1']]) {
    runs.push(pool.run<{ value: string }>(key, 'echo', { value }, { deadline: inSeconds(10) }).then((r) => order.push(r.value)));
  }
  await Promise.all([busy, ...runs]);
  assert.deepEqual(order, ['a1', 'b1', 'a2', 'a3'], 'b\'s single task does not wait behind all of a\'s');
});

test('a worker over its heap limit fails only its task and is replaced; summed counters never go down', async (t) => {
  const { pool } = await newPool(1, { heapMb: 32 });
  t.after(() => pool.stop());
  for (let i = 0; i < 3; i++) await pool.run('a', 'echo', {}, { deadline: inSeconds(10) });
  await metricsMatch(pool, /test_tasks_done_total 3/);
  await assert.rejects(pool.run('a', 'hog', {}, { deadline: inSeconds(30) }), (err: unknown) => err instanceof WorkerExitError && err.outOfMemory);
  await pool.run('a', 'echo', {}, { deadline: inSeconds(20) });
  await metricsMatch(pool, /test_tasks_done_total 4/, 'the replaced worker\'s 3 are kept');
});

/** Workers send their metrics just after each answer: wait for them. */
async function metricsMatch(pool: WorkerPool, re: RegExp, why?: string): Promise<void> {
  const until = Date.now() + 5000;
  let text = '';
  while (Date.now() < until) {
    text = await AggregatorRegistry.aggregate(await pool.metricsJson()).metrics();
    if (re.test(text)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(text, re, why);
}
