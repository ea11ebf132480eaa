import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicService, compositeService, idleService, sleep, timerService } from './service.js';
import type { State } from './service.js';

function recordStates(svc: { addListener(fn: (from: State, to: State) => void): void }): State[] {
  const seen: State[] = [];
  svc.addListener((_from, to) => seen.push(to));
  return seen;
}

test('a service goes New → Starting → Running → Stopping → Terminated', async () => {
  const calls: string[] = [];
  const svc = basicService('s', {
    async starting() { calls.push('starting'); },
    async running(signal) { calls.push('running'); await new Promise((r) => signal.addEventListener('abort', r)); },
    async stopping(failure) { calls.push(`stopping:${failure?.message ?? 'none'}`); },
  });
  const states = recordStates(svc);
  assert.equal(svc.state(), 'New');
  svc.startAsync();
  await svc.awaitRunning();
  assert.equal(svc.state(), 'Running');
  svc.stopAsync();
  await svc.awaitTerminated();
  assert.deepEqual(states, ['Starting', 'Running', 'Stopping', 'Terminated']);
  assert.deepEqual(calls, ['starting', 'running', 'stopping:none']);
});

test('a failure in starting fails the service and rejects awaitRunning', async () => {
  const svc = idleService('s', { async starting() { throw new Error('cannot open wal'); } });
  svc.startAsync();
  await assert.rejects(svc.awaitRunning(), /cannot open wal/);
  await assert.rejects(svc.awaitTerminated(), /cannot open wal/);
  assert.equal(svc.state(), 'Failed');
  assert.match(svc.failureCase()?.message ?? '', /cannot open wal/);
});

test('a failure while running reaches stopping and ends in Failed', async () => {
  let seen: Error | undefined;
  const svc = basicService('s', {
    async running() { throw new Error('boom'); },
    async stopping(failure) { seen = failure; },
  });
  svc.startAsync();
  await assert.rejects(svc.awaitTerminated(), /boom/);
  assert.equal(seen?.message, 'boom');
});

test('running that returns early stops the service cleanly', async () => {
  const svc = basicService('s', { async running() {} });
  svc.startAsync();
  await svc.awaitTerminated();
  assert.equal(svc.state(), 'Terminated');
});

test('stopping a New service terminates it; starting twice throws', async () => {
  const a = idleService('a', {});
  a.stopAsync();
  assert.equal(a.state(), 'Terminated');
  await a.awaitTerminated();
  const b = idleService('b', {});
  b.startAsync();
  assert.throws(() => b.startAsync(), /cannot start from state/);
  await b.awaitRunning();
  b.stopAsync();
  await b.awaitTerminated();
});

test('stopAsync during starting aborts its signal and stops cleanly', async () => {
  const svc = idleService('s', {
    async starting(signal) {
      await new Promise((_r, reject) =>
        signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))),
      );
    },
  });
  svc.startAsync();
  await sleep(5);
  svc.stopAsync();
  await svc.awaitTerminated();
  await assert.rejects(svc.awaitRunning(), /Terminated/);
});

test('awaitRunning honours its abort signal', async () => {
  const svc = idleService('s', { async starting(signal) { await sleep(10_000, signal); } });
  svc.startAsync();
  const ac = new AbortController();
  const waiting = svc.awaitRunning(ac.signal);
  ac.abort(new Error('gave up'));
  await assert.rejects(waiting, /gave up/);
  svc.stopAsync();
  await svc.awaitTerminated();
});

test('timerService runs its iteration until stopped', async () => {
  let n = 0;
  const svc = timerService('t', 1, async () => { n++; });
  svc.startAsync();
  while (n < 3) await sleep(2);
  svc.stopAsync();
  await svc.awaitTerminated();
  assert.ok(n >= 3);
});

test('compositeService starts parts in order, stops them in reverse, and fails when a part fails', async () => {
  const events: string[] = [];
  const part = (name: string, fail = false) => basicService(name, {
    async starting() { events.push(`start ${name}`); },
    async running(signal) {
      if (fail) throw new Error(`${name} broke`);
      await new Promise((r) => signal.addEventListener('abort', r));
    },
    async stopping() { events.push(`stop ${name}`); },
  });
  const ok = compositeService('c', [part('a'), part('b')]);
  ok.startAsync();
  await ok.awaitRunning();
  ok.stopAsync();
  await ok.awaitTerminated();
  assert.deepEqual(events, ['start a', 'start b', 'stop b', 'stop a']);

  const broken = compositeService('d', [part('x'), part('y', true)]);
  broken.startAsync();
  await assert.rejects(broken.awaitTerminated(), /part y stopped|y broke/);
});
