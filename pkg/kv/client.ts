// The key-value store contract the ring is built on (dskit kv.Client, in TypeScript).

/**
 * Computes the new value of a key from its current value (null when the key does not exist).
 * Returns the value to store, or null for "no change" (nothing is written). It may run several
 * times when other writers race; it must not have side effects that cannot be repeated. Throwing
 * aborts the CAS with that error.
 */
export type CasFn<T> = (current: T | null) => T | null | Promise<T | null>;

/** Called with the key's value, null once deleted. Return false to stop watching. */
export type WatchKeyFn<T> = (value: T | null) => boolean | void;

/** Called with a key (relative to the client's prefix) and its value, null once deleted. */
export type WatchPrefixFn<T> = (key: string, value: T | null) => boolean | void;

/**
 * A typed key-value store. Keys are relative to the prefix the client was created with.
 * Values are decoded by the client's codec; every call returns fresh objects that the caller owns.
 */
export interface KVClient<T> {
  /** The current value of `key`, or null when it does not exist. */
  get(key: string): Promise<T | null>;

  /**
   * Read-modify-write of `key`: reads the value, calls `f`, and writes its result only if nobody
   * wrote the key in between; on a conflict it reads again and calls `f` again, up to the
   * backend's retry limit, then throws a {@link CasConflictError}. Returns the value stored after
   * the call (the current value when `f` returned null).
   */
  cas(key: string, f: CasFn<T>): Promise<T | null>;

  /** Deletes `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;

  /** Keys under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;

  /**
   * Calls `f` with the current value of `key` (null when missing), then after every change, in
   * order, until `signal` aborts or `f` returns false. Survives backend disconnects: after one,
   * the watch resumes where it left off, or re-reads the key when the backend lost the history,
   * so `f` may see the same value twice but never misses the latest one. Resolves when it stops.
   */
  watchKey(key: string, signal: AbortSignal, f: WatchKeyFn<T>): Promise<void>;

  /**
   * Calls `f` once for every key under `prefix` that exists now, then for every change, in
   * order, with the same resumption guarantees as {@link watchKey}. Resolves when it stops.
   */
  watchPrefix(prefix: string, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void>;

  /** Releases connections. Running watches end. */
  close(): Promise<void>;
}

/** Thrown by {@link KVClient.cas} when every retry lost the race against other writers. */
export class CasConflictError extends Error {
  readonly code = 'KV_CAS_CONFLICT';
  constructor(key: string, attempts: number) {
    super(`compare-and-swap of key ${JSON.stringify(key)} lost the race ${attempts} times`);
    this.name = 'CasConflictError';
  }
}
