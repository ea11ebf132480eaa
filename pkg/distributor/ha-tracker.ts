// The HA tracker (Cortex distributor/ha_tracker.go): Prometheus HA pairs send the same series with
// a different replica label; per tenant and cluster one replica is elected in the KV store and
// only its samples are accepted. When the elected replica has sent nothing for the failover
// timeout, the next replica to push is elected. Every distributor keeps a cache of the elections,
// fed by a watch, so the common case (the elected replica pushes again) costs no KV call; the
// elected replica's timestamp is written at most every update timeout (+ jitter).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KVClient } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import { basicService, sleep, type Service } from '../services/index.js';
import type { DistributorConfig } from './config.js';
import { DiscardReason, ValidationError } from './discard.js';

/** Elections silent this long are deleted (Cortex's fixed 30 minutes). */
const deletionTimeout = 30 * 60_000;
const cleanupPeriod = 30 * 60_000;

/** One election, stored as JSON under `<prefix><tenant>/<cluster>`. */
export interface ReplicaDesc {
  replica: string;
  /** Last time (ms) a distributor recorded a push from the elected replica. */
  receivedAt: number;
  /** When (ms) this replica was elected. */
  electedAt: number;
}

export interface ElectedReplica extends ReplicaDesc {
  tenant: string;
  cluster: string;
}

/** Samples from a replica that is not the elected one: accepted and dropped (HTTP 202). */
export class ReplicasNotMatchError extends Error {
  readonly code = 'replicas_not_match';
  constructor(replica: string, elected: string, cluster: string) {
    super(`replicas did not match, rejecting sample: replica=${replica}, elected=${elected} (cluster ${cluster})`);
    this.name = 'ReplicasNotMatchError';
  }
}

export interface HaTrackerDeps {
  logger: Logger;
  registry: Registry;
  now?: () => number;
  /** In [0, 1); scales the update-timeout jitter. */
  random?: () => number;
}

type HaTrackerConfig = DistributorConfig['haTracker'];

export class HaTracker {
  readonly #cfg: HaTrackerConfig;
  readonly #kv: KVClient<ReplicaDesc>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #cache = new Map<string, ElectedReplica>();
  readonly #changes: Counter;
  readonly #electedAt: Gauge;
  readonly #cas: Counter;

  constructor(cfg: HaTrackerConfig, kv: KVClient<ReplicaDesc>, deps: HaTrackerDeps) {
    this.#cfg = cfg;
    this.#kv = kv;
    this.#log = deps.logger.child({ component: 'ha-tracker' });
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
    const registers = [deps.registry];
    this.#changes = new Counter({ name: 'myelin_ha_tracker_elected_replica_changes_total', help: 'Times the elected replica of an HA cluster changed.', labelNames: ['user', 'cluster'], registers });
    this.#electedAt = new Gauge({ name: 'myelin_ha_tracker_elected_replica_timestamp_seconds', help: 'When the elected replica of an HA cluster was last seen, as stored in the KV store.', labelNames: ['user', 'cluster'], registers });
    this.#cas = new Counter({ name: 'myelin_ha_tracker_kv_store_cas_total', help: 'Compare-and-swap calls to the KV store by the HA tracker.', labelNames: ['user', 'cluster'], registers });
  }

  /**
   * Loads and then follows every election in the KV store; every cleanup period (±20%) deletes
   * the elections of clusters that sent nothing for the deletion timeout.
   */
  service(): Service {
    return basicService('ha-tracker', {
      running: async (signal) => {
        const watch = this.#kv.watchPrefix('', signal, (key, value) => this.#apply(key, value));
        while (!signal.aborted) {
          await sleep(cleanupPeriod * (0.8 + 0.4 * this.#random()), signal);
          if (signal.aborted) break;
          await this.cleanup().catch((err: unknown) => this.#log.warn({ err }, 'cleaning up old HA elections'));
        }
        await watch;
      },
    });
  }

  /** Deletes the elections whose replica has sent nothing for the deletion timeout (30 min). */
  async cleanup(): Promise<void> {
    const now = this.#now();
    for (const e of this.elected()) {
      if (now - e.receivedAt <= deletionTimeout) continue;
      const key = `${e.tenant}/${e.cluster}`;
      // Another distributor may refresh the entry between the read and the delete; the cluster is
      // then simply elected again on its next push.
      const cur = await this.#kv.get(key);
      if (cur === null || now - cur.receivedAt <= deletionTimeout) continue;
      await this.#kv.delete(key);
      this.#electedAt.remove({ user: e.tenant, cluster: e.cluster });
      this.#log.info({ tenant: e.tenant, cluster: e.cluster, replica: cur.replica }, 'deleted election of silent HA cluster');
    }
  }

  #apply(key: string, value: ReplicaDesc | null): void {
    const slash = key.indexOf('/');
    if (slash < 0) return;
    if (value === null) {
      this.#cache.delete(key);
      return;
    }
    const tenant = key.slice(0, slash);
    const cluster = key.slice(slash + 1);
    const old = this.#cache.get(key);
    if (old !== undefined && old.receivedAt > value.receivedAt && old.replica === value.replica) return;
    this.#cache.set(key, { tenant, cluster, replica: value.replica, receivedAt: value.receivedAt, electedAt: value.electedAt });
    this.#electedAt.set({ user: tenant, cluster }, value.receivedAt / 1000);
  }

  /**
   * Resolves when `replica` is (or has just become) the elected replica of the tenant's cluster.
   * Throws ReplicasNotMatchError for another replica, and a ValidationError when the tenant
   * already has `maxClusters` clusters (0: no limit).
   */
  async checkReplica(tenant: string, cluster: string, replica: string, maxClusters: number): Promise<void> {
    const key = `${tenant}/${cluster}`;
    const now = this.#now();
    const cached = this.#cache.get(key);
    const refreshAfter = this.#cfg.haTrackerUpdateTimeout + this.#random() * this.#cfg.haTrackerUpdateTimeoutJitterMax;
    if (cached !== undefined) {
      if (cached.replica === replica && now - cached.receivedAt < refreshAfter) return;
      if (cached.replica !== replica && now - cached.receivedAt < this.#cfg.haTrackerFailoverTimeout) {
        throw new ReplicasNotMatchError(replica, cached.replica, cluster);
      }
    } else if (maxClusters > 0 && this.#clusters(tenant) >= maxClusters) {
      throw new ValidationError(DiscardReason.TooManyHaClusters, `too many HA clusters (limit: ${maxClusters}, -distributor.ha-tracker.max-clusters); rejecting cluster ${JSON.stringify(cluster)}`);
    }
    let rejectedBy: string | undefined;
    this.#cas.inc({ user: tenant, cluster });
    const stored = await this.#kv.cas(key, (cur) => {
      rejectedBy = undefined;
      if (cur !== null) {
        if (cur.replica === replica) return now - cur.receivedAt < refreshAfter ? null : { ...cur, receivedAt: now };
        if (now - cur.receivedAt < this.#cfg.haTrackerFailoverTimeout) {
          rejectedBy = cur.replica;
          return null;
        }
      }
      return { replica, receivedAt: now, electedAt: now };
    });
    if (stored !== null) {
      if (cached?.replica !== stored.replica && stored.replica === replica) {
        this.#changes.inc({ user: tenant, cluster });
        this.#log.info({ tenant, cluster, replica, previous: cached?.replica }, 'elected replica changed');
      }
      this.#apply(key, stored);
    }
    if (rejectedBy !== undefined) throw new ReplicasNotMatchError(replica, rejectedBy, cluster);
  }

  #clusters(tenant: string): number {
    let n = 0;
    for (const e of this.#cache.values()) if (e.tenant === tenant) n++;
    return n;
  }

  /** Every election this distributor knows of, by tenant and cluster. */
  elected(): ElectedReplica[] {
    return [...this.#cache.values()].sort((a, b) => (a.tenant === b.tenant ? (a.cluster < b.cluster ? -1 : 1) : a.tenant < b.tenant ? -1 : 1));
  }

  failoverTimeout(): number {
    return this.#cfg.haTrackerFailoverTimeout;
  }

  updateTimeout(): number {
    return this.#cfg.haTrackerUpdateTimeout;
  }
}
