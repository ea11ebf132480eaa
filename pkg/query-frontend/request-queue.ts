// The frontend's per-tenant fair queue (Cortex's queue.RequestQueue): one FIFO per tenant, taken
// round-robin across tenants, so one tenant's burst waits behind its own requests and not in
// front of another tenant's. A tenant with max_queriers_per_tenant > 0 is served only by its own
// shard of the connected queriers (shuffle sharding), so a tenant whose queries crash or stall
// queriers reaches only those.
import { createHash } from 'node:crypto';

/** The queue of `tenant` already holds max-outstanding-requests-per-tenant requests. */
export class TooManyRequestsError extends Error {
  constructor(readonly tenant: string) {
    super('too many outstanding requests');
    this.name = 'TooManyRequestsError';
  }
}

interface Waiter<T> {
  querierId: string;
  resolve: (item: T | undefined) => void;
}

interface TenantQueue<T> {
  items: T[];
  maxQueriers: number;
}

export class RequestQueue<T> {
  readonly #maxOutstanding: number;
  readonly #tenants = new Map<string, TenantQueue<T>>();
  /** Tenants with queued requests, in round-robin order; `#cursor` is the next one to serve. */
  #order: string[] = [];
  #cursor = 0;
  #waiters: Waiter<T>[] = [];
  /** Connected queriers: ID → open connections. */
  readonly #queriers = new Map<string, number>();
  /** Each sharded tenant's queriers, for the current set of queriers. */
  #shards = new Map<string, Set<string>>();
  readonly #onLength: (tenant: string, length: number) => void;

  constructor(maxOutstandingPerTenant: number, onLength: (tenant: string, length: number) => void = () => {}) {
    this.#maxOutstanding = maxOutstandingPerTenant;
    this.#onLength = onLength;
  }

  /** Queues `item` for `tenant`; throws TooManyRequestsError when the tenant's queue is full. */
  enqueue(tenant: string, item: T, maxQueriers: number): void {
    let q = this.#tenants.get(tenant);
    if (q === undefined) {
      q = { items: [], maxQueriers };
      this.#tenants.set(tenant, q);
      this.#order.push(tenant);
    }
    if (q.items.length >= this.#maxOutstanding) throw new TooManyRequestsError(tenant);
    if (q.maxQueriers !== maxQueriers) {
      q.maxQueriers = maxQueriers;
      this.#shards.delete(tenant);
    }
    q.items.push(item);
    this.#onLength(tenant, q.items.length);
    this.#dispatch();
  }

  /** Takes `item` out of the queue (its caller gave up); false when a querier already has it. */
  remove(tenant: string, item: T): boolean {
    const q = this.#tenants.get(tenant);
    const i = q?.items.indexOf(item) ?? -1;
    if (q === undefined || i < 0) return false;
    q.items.splice(i, 1);
    this.#onLength(tenant, q.items.length);
    if (q.items.length === 0) this.#dropTenant(tenant);
    return true;
  }

  /** The number of requests queued for `tenant`. */
  length(tenant: string): number {
    return this.#tenants.get(tenant)?.items.length ?? 0;
  }

  /** A querier connection opened (counted per querier ID: a querier opens several). */
  querierConnected(id: string): void {
    this.#queriers.set(id, (this.#queriers.get(id) ?? 0) + 1);
    this.#shards.clear();
    this.#dispatch();
  }

  querierDisconnected(id: string): void {
    const n = (this.#queriers.get(id) ?? 0) - 1;
    if (n > 0) {
      this.#queriers.set(id, n);
      return;
    }
    this.#queriers.delete(id);
    this.#shards.clear();
    this.#dispatch();
  }

  /**
   * The next request querier `querierId` may take: round-robin over the tenants whose shard holds
   * it. Resolves undefined when `signal` aborts first.
   */
  next(querierId: string, signal: AbortSignal): Promise<T | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const item = this.#take(querierId);
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => {
      const waiter: Waiter<T> = {
        querierId,
        resolve: (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
      };
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #dispatch(): void {
    for (let i = 0; i < this.#waiters.length && this.#order.length > 0;) {
      const w = this.#waiters[i];
      const item = this.#take(w.querierId);
      if (item === undefined) {
        i++;
        continue;
      }
      this.#waiters.splice(i, 1);
      w.resolve(item);
    }
  }

  #take(querierId: string): T | undefined {
    const n = this.#order.length;
    for (let k = 0; k < n; k++) {
      const idx = (this.#cursor + k) % n;
      const tenant = this.#order[idx];
      if (!this.#serves(tenant, querierId)) continue;
      const q = this.#tenants.get(tenant) ?? bug(tenant);
      const item = q.items.shift() ?? bug(tenant);
      this.#onLength(tenant, q.items.length);
      this.#cursor = idx + 1;
      if (q.items.length === 0) this.#dropTenant(tenant);
      return item;
    }
    return undefined;
  }

  #dropTenant(tenant: string): void {
    this.#tenants.delete(tenant);
    this.#shards.delete(tenant);
    const idx = this.#order.indexOf(tenant);
    this.#order.splice(idx, 1);
    if (idx < this.#cursor) this.#cursor--;
  }

  #serves(tenant: string, querierId: string): boolean {
    const q = this.#tenants.get(tenant);
    if (q === undefined || q.maxQueriers <= 0 || q.maxQueriers >= this.#queriers.size) return true;
    let shard = this.#shards.get(tenant);
    if (shard === undefined) {
      shard = new Set(shuffleShard(tenant, [...this.#queriers.keys()], q.maxQueriers));
      this.#shards.set(tenant, shard);
    }
    return shard.has(querierId);
  }
}

/**
 * The `size` queriers of `tenant`: the highest-scoring by a hash of tenant and querier ID
 * (rendezvous hashing), so every frontend picks the same ones, and a querier joining or leaving
 * moves a tenant only when it is (or becomes) one of the tenant's.
 */
export function shuffleShard(tenant: string, queriers: readonly string[], size: number): string[] {
  const score = (id: string): string => createHash('sha256').update(tenant).update('\0').update(id).digest('hex');
  return queriers.map((id) => ({ id, s: score(id) })).sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0)).slice(0, size).map((x) => x.id);
}

function bug(tenant: string): never {
  throw new Error(`BUG: the queue of tenant ${tenant} is empty but listed`);
}
