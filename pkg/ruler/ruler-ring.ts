// The ruler ring (-ruler.enable-sharding): every ruler joins it with its tokens; a rule group
// belongs to the first ACTIVE ruler with a fresh heartbeat clockwise from the group's token
// (FNV-1a of tenant, namespace and group, as Cortex's tokenForGroup), so each group is evaluated by
// exactly one healthy ruler and moves within a heartbeat timeout when its ruler dies.
import type { Registry } from 'prom-client';
import type { KVClient } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import { InstanceState, Lifecycler, fnv1a32, heartbeatFresh, healthyOwners, type InstanceDesc, type RingWithInstanceConfig } from '../ring/index.js';
import type { Ring } from '../ring/index.js';
import { compositeService, timerService, type Service } from '../services/index.js';

export const RULER_RING_NAME = 'ruler';
export const RULER_RING_KEY = 'ruler';

const owningStates: ReadonlySet<InstanceState> = new Set([InstanceState.ACTIVE]);

export interface RulerRingDeps {
  kv: KVClient<InstanceDesc>;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

export class RulerRing {
  readonly lifecycler: Lifecycler;
  readonly #cfg: RingWithInstanceConfig;
  readonly #now: () => number;
  #healthy = '';
  readonly #listeners: Array<() => void> = [];

  constructor(cfg: RingWithInstanceConfig, deps: RulerRingDeps) {
    this.#cfg = cfg;
    this.#now = deps.now ?? Date.now;
    this.lifecycler = new Lifecycler(cfg, cfg, RULER_RING_NAME, RULER_RING_KEY, deps);
  }

  get ring(): Ring {
    return this.lifecycler.ring;
  }

  /** Whether this ruler evaluates the group. */
  owns(tenant: string, namespace: string, group: string): boolean {
    const [owner] = healthyOwners(this.ring.snapshot(), fnv1a32(tenant + namespace + group), {
      count: 1, states: owningStates, heartbeatTimeout: this.#cfg.heartbeatTimeout, now: this.#now(),
    });
    return owner !== undefined && owner.id === this.lifecycler.id;
  }

  /** Calls `fn` whenever the set of healthy ACTIVE rulers changes. */
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /**
   * The lifecycler, and a check of the healthy rulers every quarter heartbeat timeout: a ruler that
   * dies changes no ring entry, only its heartbeat's age.
   */
  service(): Service {
    const period = Math.max(250, Math.min(5000, this.#cfg.heartbeatTimeout / 4));
    return compositeService('ruler-ring', [this.lifecycler.service, timerService('ruler-ring-check', period, async () => this.#check())]);
  }

  #check(): void {
    const snap = this.ring.snapshot();
    const now = this.#now();
    const healthy = snap.instances
      .filter((i) => owningStates.has(i.state) && heartbeatFresh(i, this.#cfg.heartbeatTimeout, now))
      .map((i) => i.id).sort().join(',');
    if (healthy === this.#healthy) return;
    this.#healthy = healthy;
    for (const fn of this.#listeners) fn();
  }
}
