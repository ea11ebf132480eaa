import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doBatch } from './batch.js';
import { Write } from './operation.js';
import { RingSnapshot } from './ring-snapshot.js';
import { RingView } from './ring-view.js';
import { EmptyRingError } from './replication-set.js';
import { instance } from './testing.js';

// Five instances with one token each: key k goes to the three instances after it.
const ring = new RingView(
  new RingSnapshot(['a', 'b', 'c', 'd', 'e'].map((id, i) => instance(id, [(i + 1) * 1000]))),
  { replicationFactor: 3, heartbeatTimeout: 0, zoneAwarenessEnabled: false },
  Date.now,
);

describe('doBatch', () => {
  it('rejects with EmptyRingError when the ring has no instances (the distributor answers 503)', async () => {
    const empty = new RingView(new RingSnapshot([]), { replicationFactor: 3, heartbeatTimeout: 0, zoneAwarenessEnabled: false }, Date.now);
    await assert.rejects(doBatch(empty, [1], async () => {}, { op: Write }), EmptyRingError);
  });

  it('sends each instance the indexes of its keys and resolves at quorum', async () => {
    const got = new Map<string, number[]>();
    let cleaned = false;
    await doBatch(
      ring,
      [500, 1500, 4500],
      async (inst, idx) => {
        got.set(inst.id, idx);
      },
      { op: Write, cleanup: () => (cleaned = true) },
    );
    assert.deepEqual(Object.fromEntries(got), { a: [0, 2], b: [0, 1, 2], c: [0, 1], d: [1], e: [2] });
    await new Promise((r) => setImmediate(r));
    assert.ok(cleaned);
  });

  it('tolerates maxErrors failures per key', async () => {
    await doBatch(
      ring,
      [500],
      async (inst) => {
        if (inst.id === 'b') throw new Error('b is down');
      },
      { op: Write },
    );
  });

  it('rejects with the error that broke a key quorum', async () => {
    await assert.rejects(
      doBatch(
        ring,
        [500, 3500],
        async (inst) => {
          if (inst.id === 'a' || inst.id === 'b') throw new Error(`${inst.id} is down`);
        },
        { op: Write },
      ),
      /is down/,
    );
  });

  it('does not wait for a slow replica once a quorum answered', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => (release = r));
    await doBatch(ring, [500], (inst) => (inst.id === 'c' ? slow : Promise.resolve()), { op: Write });
    release();
  });

  it('rejects when aborted', async () => {
    const ac = new AbortController();
    const p = doBatch(ring, [500], () => new Promise(() => {}), { op: Write, signal: ac.signal });
    ac.abort(new Error('deadline'));
    await assert.rejects(p, /deadline/);
  });
});
