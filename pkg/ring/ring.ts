// The live ring client: watches the ring's instance keys and keeps a local view, so lookups are
// synchronous and never touch the KV (dskit ring.Ring). It is a Service: starting loads every
// instance, running follows the watch until stopped.
import type { Logger } from '../log/index.js';
import type { Registry } from 'prom-client';
import type { KVClient } from '../kv/index.js';
import { basicService, type Service } from '../services/index.js';
import type { RingConfig } from './config.js';
import { instanceKey, type InstanceDesc } from './desc.js';
import { registerRingMetrics } from './ring-metrics.js';
import { RingSnapshot } from './ring-snapshot.js';
import { CurrentViewRing, RingView } from './ring-view.js';

export interface RingDeps {
  kv: KVClient<InstanceDesc>;
  logger: Logger;
  registry: Registry;
  /** Milliseconds since the epoch; injected for tests. */
  now?: () => number;
}

export class Ring extends CurrentViewRing {
  /** The ring's name in metrics and logs, e.g. `ingester`. */
  readonly name: string;
  /** Instances live under `<key>/<id>` in the KV. */
  readonly key: string;
  readonly service: Service;
  readonly #cfg: RingConfig;
  readonly #kv: KVClient<InstanceDesc>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #descs = new Map<string, InstanceDesc>();
  #view: RingView;
  #rebuildScheduled = false;
  readonly #listeners = new Set<(view: RingView) => void>();

  constructor(cfg: RingConfig, name: string, key: string, deps: RingDeps) {
    super();
    this.name = name;
    this.key = key;
    this.#cfg = cfg;
    this.#kv = deps.kv;
    this.#log = deps.logger.child({ component: 'ring', ring: name });
    this.#now = deps.now ?? Date.now;
    this.#view = this.#newView();
    let unregisterMetrics = (): void => {};
    this.service = basicService(`${name}-ring`, {
      starting: async () => {
        await this.#load();
        unregisterMetrics = registerRingMetrics(deps.registry, {
          name,
          view: () => this.#view,
          heartbeatTimeout: () => this.#cfg.heartbeatTimeout,
          now: this.#now,
        });
      },
      running: (signal) => this.#kv.watchPrefix(`${key}/`, signal, (k, v) => this.#apply(k.slice(key.length + 1), v)),
      stopping: async () => unregisterMetrics(),
    });
  }

  /** Reads every instance once, so lookups work as soon as the service is Running. */
  async #load(): Promise<void> {
    const keys = await this.#kv.list(`${this.key}/`);
    const descs = await Promise.all(keys.map((k) => this.#kv.get(k)));
    keys.forEach((k, i) => this.#apply(k.slice(this.key.length + 1), descs[i]));
    this.#rebuild();
  }

  #apply(id: string, desc: InstanceDesc | null): void {
    const old = this.#descs.get(id);
    if (desc === null) {
      if (!this.#descs.delete(id)) return;
    } else if (old !== undefined && sameLayout(old, desc)) {
      // A heartbeat: health is computed at lookup time, so updating the shared object is enough
      // and the token index stays as it is (this is every ring change but joins and leaves).
      old.timestamp = desc.timestamp;
      return;
    } else {
      this.#descs.set(id, desc);
    }
    if (this.#rebuildScheduled) return;
    this.#rebuildScheduled = true;
    queueMicrotask(() => this.#rebuild());
  }

  #rebuild(): void {
    this.#rebuildScheduled = false;
    this.#view = this.#newView();
    this.#log.debug({ instances: this.#descs.size }, 'ring changed');
    for (const l of this.#listeners) l(this.#view);
  }

  #newView(): RingView {
    return new RingView(new RingSnapshot(this.#descs.values()), this.#cfg, this.#now);
  }

  /** Calls `fn` with every new view (joins, leaves, state and token changes; not heartbeats). */
  onChange(fn: (view: RingView) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  override view(): RingView {
    return this.#view;
  }

  /** Removes an instance from the ring (the status page's Forget button). */
  async forget(id: string): Promise<void> {
    await this.#kv.delete(instanceKey(this.key, id));
    this.#log.info({ instance: id }, 'forgot instance');
  }

  heartbeatTimeout(): number {
    return this.#cfg.heartbeatTimeout;
  }

  override now(): number {
    return this.#now();
  }

}

function sameLayout(a: InstanceDesc, b: InstanceDesc): boolean {
  if (a.state !== b.state || a.addr !== b.addr || a.zone !== b.zone || a.registeredTimestamp !== b.registeredTimestamp) return false;
  if (a.tokens.length !== b.tokens.length) return false;
  for (let i = 0; i < a.tokens.length; i++) if (a.tokens[i] !== b.tokens[i]) return false;
  return true;
}
