// A byte cache keyed by strings (dskit cache.Cache). Caches are best effort: fetch returns what it
// found (a missing key is a miss), store never throws. Backends that can fail (Redis) turn their
// failures into misses, so a cache outage slows queries down but never fails them.
export interface Cache {
  /** Name in metrics and logs, e.g. `chunks`. */
  readonly name: string;
  /** The values found, by key; keys not in the map are misses. Never rejects. */
  fetch(keys: readonly string[]): Promise<Map<string, Buffer>>;
  /** Stores values (best effort). Never rejects; it may finish after it returns. */
  store(items: ReadonlyMap<string, Buffer>): Promise<void>;
  close(): Promise<void>;
}
