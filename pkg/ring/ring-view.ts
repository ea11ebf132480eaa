// ReadRing: replication-set lookups over one RingSnapshot (dskit ring.ReadRing). The live Ring
// swaps in a new view on every change it watches; a view itself never changes.
import { heartbeatFresh, type InstanceDesc } from './desc.js';
import type { Operation } from './operation.js';
import { EmptyRingError, quorum, TooFewHealthyInstancesError, type ReplicationSet } from './replication-set.js';
import type { RingSnapshot } from './ring-snapshot.js';
import { shuffleShardInstances } from './shuffle-shard.js';

export interface LookupConfig {
  replicationFactor: number;
  /** Milliseconds without heartbeat after which an instance is unhealthy; 0 disables the check. */
  heartbeatTimeout: number;
  zoneAwarenessEnabled: boolean;
}

export interface ReadRing {
  /**
   * The replication set of the 32-bit `key`: walking clockwise from the first token greater than
   * `key`, RF distinct instances (one per zone with zone awareness), extended by one for every
   * instance whose state `op` says to extend on, then stripped of unhealthy instances. Throws
   * TooFewHealthyInstancesError when fewer than a quorum remain. When `buf` is given, the result's
   * `instances` is `buf`, overwritten: valid until the next call with the same `buf`. Health is
   * judged at `now` (ms, default now()): a caller looking up many keys at once reads the clock once
   * (a read costs ~0.1 µs here, as much as the rest of a lookup).
   */
  get(key: number, op: Operation, buf?: InstanceDesc[], now?: number): ReplicationSet;
  /** The clock health is judged by (ms). */
  now(): number;
  /** Every instance healthy for `op`, with maxErrors 0. */
  getAllHealthy(op: Operation): ReplicationSet;
  /**
   * The instances to ask when an operation needs every series (queries over all ingesters, dskit
   * GetReplicationSetForOperation): every healthy instance, with as many allowed failures as keep
   * at least RF − ⌊RF/2⌋ replicas of every key answering. With zone awareness, zones holding an
   * unhealthy instance are left out whole (at most ⌊RF/2⌋ of them) and no further failure is
   * allowed, as the set carries no per-zone tolerance. Throws TooFewHealthyInstancesError when
   * too many instances or zones are unhealthy.
   */
  getReplicationSetForOperation(op: Operation): ReplicationSet;
  replicationFactor(): number;
  instancesCount(): number;
  /** The subring of `size` instances for `tenant`, stable while the ring does not change; the whole ring when size ≤ 0 or ≥ the ring. */
  shuffleShard(tenant: string, size: number): ReadRing;
  snapshot(): RingSnapshot;
}

export class RingView implements ReadRing {
  readonly #snap: RingSnapshot;
  readonly #cfg: LookupConfig;
  readonly #now: () => number;
  readonly #subrings = new Map<string, RingView>();
  readonly #picked: number[] = [];
  readonly #zones: string[] = [];

  constructor(snap: RingSnapshot, cfg: LookupConfig, now: () => number) {
    this.#snap = snap;
    this.#cfg = cfg;
    this.#now = now;
  }

  get(key: number, op: Operation, buf: InstanceDesc[] = [], now?: number): ReplicationSet {
    const s = this.#snap;
    const nTokens = s.tokens.length;
    if (nTokens === 0) throw new EmptyRingError();
    const rf = this.#cfg.replicationFactor;
    const zoneAware = this.#cfg.zoneAwarenessEnabled;
    const maxZones = zoneAware ? s.zones.length : Infinity;
    // Reused scratch arrays, filled up to a count: resetting an array's length is a runtime call,
    // and this runs once per series of every push.
    const picked = this.#picked;
    const zones = this.#zones;
    let np = 0;
    let nz = 0;
    let n = rf;
    const start = s.searchToken(key >>> 0);
    for (let iter = 0; iter < nTokens && np < Math.min(n, s.instances.length) && nz < maxZones; iter++) {
      const idx = s.owners[(start + iter) % nTokens];
      if (includes(picked, np, idx)) continue;
      const inst = s.instances[idx];
      if (zoneAware) {
        if (includes(zones, nz, inst.zone)) continue;
        zones[nz++] = inst.zone;
      }
      picked[np++] = idx;
      if (op.extendsReplicaSet(inst.state)) n++;
    }
    return this.#filterHealthy(picked, np, op, rf, buf, now ?? this.#now());
  }

  now(): number {
    return this.#now();
  }

  #filterHealthy(picked: readonly number[], np: number, op: Operation, rf: number, out: InstanceDesc[], now: number): ReplicationSet {
    const timeout = this.#cfg.heartbeatTimeout;
    let k = 0;
    let unhealthy: string[] | undefined;
    for (let p = 0; p < np; p++) {
      const inst = this.#snap.instances[picked[p]];
      if (op.isHealthyState(inst.state) && heartbeatFresh(inst, timeout, now)) out[k++] = inst;
      else (unhealthy ??= []).push(inst.id);
    }
    if (out.length !== k) out.length = k;
    // A set extended past RF by joining/leaving instances needs a quorum of its real size.
    const need = quorum(Math.max(rf, np));
    if (out.length < need) throw new TooFewHealthyInstancesError(need, out.length, unhealthy ?? []);
    return { instances: out, maxErrors: out.length - need };
  }

  getAllHealthy(op: Operation): ReplicationSet {
    const now = this.#now();
    const instances = this.#snap.instances.filter(
      (i) => op.isHealthyState(i.state) && heartbeatFresh(i, this.#cfg.heartbeatTimeout, now),
    );
    return { instances, maxErrors: 0 };
  }

  getReplicationSetForOperation(op: Operation): ReplicationSet {
    const now = this.#now();
    const all = this.#snap.instances;
    const rf = this.#cfg.replicationFactor;
    const healthy: InstanceDesc[] = [];
    const unhealthy: InstanceDesc[] = [];
    for (const i of all) (op.isHealthyState(i.state) && heartbeatFresh(i, this.#cfg.heartbeatTimeout, now) ? healthy : unhealthy).push(i);
    if (this.#cfg.zoneAwarenessEnabled && this.#snap.zones.length > 0) {
      const failedZones = new Set(unhealthy.map((i) => i.zone));
      const tolerated = quorum(Math.min(this.#snap.zones.length, rf)) - 1;
      if (failedZones.size > tolerated) {
        // In zone-aware replication a zone is a replica: report zones.
        const zones = Math.min(this.#snap.zones.length, rf);
        throw new TooFewHealthyInstancesError(zones - tolerated, this.#snap.zones.length - failedZones.size, unhealthy.map((i) => i.id));
      }
      return { instances: healthy.filter((i) => !failedZones.has(i.zone)), maxErrors: 0 };
    }
    const needed = Math.max(all.length, rf) - Math.floor(rf / 2);
    if (healthy.length < needed) throw new TooFewHealthyInstancesError(needed, healthy.length, unhealthy.map((i) => i.id));
    return { instances: healthy, maxErrors: healthy.length - needed };
  }

  replicationFactor(): number {
    return this.#cfg.replicationFactor;
  }

  instancesCount(): number {
    return this.#snap.instances.length;
  }

  shuffleShard(tenant: string, size: number): ReadRing {
    if (size <= 0 || size >= this.#snap.instances.length) return this;
    const cacheKey = `${size}\u0000${tenant}`;
    let sub = this.#subrings.get(cacheKey);
    if (sub === undefined) {
      sub = new RingView(this.#snap.subset(shuffleShardInstances(this.#snap, tenant, size)), this.#cfg, this.#now);
      this.#subrings.set(cacheKey, sub);
    }
    return sub;
  }

  snapshot(): RingSnapshot {
    return this.#snap;
  }
}

/** A ReadRing answering from whichever view is current: the live Ring's, or a RingMirror's. */
export abstract class CurrentViewRing implements ReadRing {
  /** The current view; keep it to make several lookups against one consistent ring. */
  abstract view(): RingView;

  get(key: number, op: Operation, buf?: InstanceDesc[], now?: number): ReplicationSet {
    return this.view().get(key, op, buf, now);
  }

  now(): number {
    return this.view().now();
  }

  getAllHealthy(op: Operation): ReplicationSet {
    return this.view().getAllHealthy(op);
  }

  getReplicationSetForOperation(op: Operation): ReplicationSet {
    return this.view().getReplicationSetForOperation(op);
  }

  replicationFactor(): number {
    return this.view().replicationFactor();
  }

  instancesCount(): number {
    return this.view().instancesCount();
  }

  shuffleShard(tenant: string, size: number): ReadRing {
    return this.view().shuffleShard(tenant, size);
  }

  snapshot(): RingSnapshot {
    return this.view().snapshot();
  }
}

/** Whether a[0, n) holds x. */
function includes<T>(a: readonly T[], n: number, x: T): boolean {
  for (let i = 0; i < n; i++) if (a[i] === x) return true;
  return false;
}
