// doBatch (dskit ring/batch.go): sends every key to its replication set, one call per instance
// with the indexes of all its keys, and settles as soon as each key reached its quorum, or as soon
// as one key has more failures than its set tolerates.
import type { InstanceDesc } from './desc.js';
import type { Operation } from './operation.js';
import { EmptyRingError } from './replication-set.js';
import type { ReadRing } from './ring-view.js';

export interface BatchOptions {
  op: Operation;
  /** Rejects the batch (with the signal's reason) when aborted; calls already made run on. */
  signal?: AbortSignal;
  /** Runs once every callback has settled, including those still running after doBatch settled. */
  cleanup?: () => void;
}

/**
 * `callback(instance, indexes)` receives the positions in `keys` that `instance` must handle.
 * Resolves when every key succeeded on a quorum of its replication set (minSuccess = set size −
 * maxErrors); rejects with the first error that made a key fail beyond its maxErrors.
 */
export function doBatch(
  ring: ReadRing,
  keys: ArrayLike<number>,
  callback: (instance: InstanceDesc, indexes: number[]) => Promise<void>,
  opts: BatchOptions,
): Promise<void> {
  const cleanup = opts.cleanup ?? (() => {});
  // Per-key bookkeeping in typed arrays: a push carries thousands of keys, and no object per key.
  const n = keys.length;
  const minSuccess = new Int32Array(n);
  const maxFailures = new Int32Array(n);
  const succeeded = new Int32Array(n);
  const failed = new Int32Array(n);
  const byInstance = new Map<string, { desc: InstanceDesc; indexes: number[] }>();
  const buf: InstanceDesc[] = [];
  try {
    if (ring.instancesCount() === 0) throw new EmptyRingError();
    const now = ring.now();
    for (let i = 0; i < n; i++) {
      const set = ring.get(keys[i], opts.op, buf, now);
      minSuccess[i] = set.instances.length - set.maxErrors;
      maxFailures[i] = set.maxErrors;
      for (const desc of set.instances) {
        let entry = byInstance.get(desc.id);
        if (entry === undefined) byInstance.set(desc.id, (entry = { desc, indexes: [] }));
        entry.indexes.push(i);
      }
    }
  } catch (err) {
    cleanup();
    return Promise.reject(err);
  }
  if (keys.length === 0) {
    cleanup();
    return Promise.resolve();
  }

  return new Promise<void>((resolve, reject) => {
    let pendingKeys = keys.length;
    let settled = false;
    const onAbort = (): void => finish(opts.signal?.reason ?? new Error('doBatch aborted'));
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const record = (indexes: readonly number[], err: unknown): void => {
      for (const i of indexes) {
        if (err !== undefined) {
          if (++failed[i] > maxFailures[i]) finish(err);
        } else if (++succeeded[i] === minSuccess[i] && --pendingKeys === 0) {
          finish();
        }
      }
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const calls = [...byInstance.values()].map(async (e) => {
      try {
        await callback(e.desc, e.indexes);
        record(e.indexes, undefined);
      } catch (err) {
        record(e.indexes, err ?? new Error(`call to ${e.desc.id} rejected without a reason`));
      }
    });
    void Promise.all(calls).then(cleanup);
  });
}
