// The lifecycler (dskit ring.Lifecycler): registers this instance in the ring, claims its tokens,
// walks PENDING → JOINING → ACTIVE, heartbeats, and leaves on shutdown. It writes only its own key
// (`<ring key>/<id>`), except when it forgets a dead instance or takes over a leaving one's tokens.
//
//   starting: tokens file or own key present → ACTIVE with those tokens; else PENDING, no tokens
//   running:  heartbeat every period (±10%) ‖ PENDING —join_after→ JOINING (new tokens)
//             —observe_period, re-pick tokens another instance won→ ACTIVE
//   stopping: LEAVING → onLeaving() (flush/transfer) → delete own key (unregister_on_shutdown)
import type { Logger } from '../log/index.js';
import type { Registry } from 'prom-client';
import type { KVClient } from '../kv/index.js';
import { sharedHistogram } from '../kv/index.js';
import { basicService, sleep, type Service } from '../services/index.js';
import type { LifecyclerConfig, RingConfig } from './config.js';
import { InstanceDesc, InstanceState, heartbeatAgeMs, instanceKey, stateName } from './desc.js';
import { Ring } from './ring.js';
import { loadTokensFile, pickTokens, storeTokensFile } from './tokens.js';

export interface LifecyclerDeps {
  kv: KVClient<InstanceDesc>;
  logger: Logger;
  registry: Registry;
  /** Milliseconds since the epoch; injected for tests. */
  now?: () => number;
  /** Uniform in [0, 1): token picks and heartbeat jitter; injected for tests. */
  random?: () => number;
  /** Runs after the instance turned LEAVING and before it unregisters (flush or transfer). */
  onLeaving?: () => Promise<void>;
  /**
   * Runs while the instance is JOINING with its tokens, before it turns ACTIVE; with it, a restart
   * with known tokens also passes through JOINING. A store-gateway loads the blocks it owns here,
   * so it never serves queries for blocks it has not loaded.
   */
  beforeActive?: (signal: AbortSignal) => Promise<void>;
}

export class Lifecycler {
  readonly service: Service;
  /** The ring as this instance sees it (its own watch). */
  readonly ring: Ring;
  readonly #cfg: LifecyclerConfig;
  readonly #kv: KVClient<InstanceDesc>;
  readonly #key: string;
  readonly #log: Logger;
  readonly #now: () => number;
  /** When a readiness check first saw this instance ACTIVE. */
  #readySince: number | undefined;
  readonly #random: () => number;
  readonly #onLeaving: () => Promise<void>;
  readonly #beforeActive: ((signal: AbortSignal) => Promise<void>) | undefined;
  readonly #heartbeatDuration;
  readonly #desc: InstanceDesc;
  #writes: Promise<unknown> = Promise.resolve();
  /** Instances whose tokens this one took over: while they still show them, that is no conflict. */
  readonly #tookOverFrom = new Set<string>();
  /** Aborted when a token claim ends PENDING early. */
  #joinWait = new AbortController();

  constructor(cfg: LifecyclerConfig, ringCfg: RingConfig, ringName: string, ringKey: string, deps: LifecyclerDeps) {
    this.#cfg = cfg;
    this.#kv = deps.kv;
    this.#key = instanceKey(ringKey, cfg.id);
    this.#log = deps.logger.child({ component: 'lifecycler', ring: ringName, instance: cfg.id });
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
    this.#onLeaving = deps.onLeaving ?? (async () => {});
    this.#beforeActive = deps.beforeActive;
    this.#heartbeatDuration = sharedHistogram(deps.registry, {
      name: 'myelin_ring_heartbeat_duration_seconds',
      help: 'Time to write one heartbeat of a ring member to the KV store.',
      labelNames: ['name'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    });
    this.#desc = InstanceDesc.fromPartial({ id: cfg.id, addr: cfg.addr, zone: cfg.availabilityZone, state: InstanceState.PENDING });
    this.ring = new Ring(ringCfg, ringName, ringKey, deps);
    this.service = basicService(`${ringName}-lifecycler`, {
      starting: (signal) => this.#starting(signal),
      running: (signal) => this.#running(signal),
      stopping: () => this.#stopping(),
    });
  }

  get id(): string {
    return this.#cfg.id;
  }

  state(): InstanceState {
    return this.#desc.state;
  }

  tokens(): number[] {
    return [...this.#desc.tokens];
  }

  /** Throws unless the instance is ACTIVE (the /ready check of ring members). */
  /** Resolves once this instance is ACTIVE; rejects when the lifecycler fails or `signal` aborts. */
  async awaitActive(signal: AbortSignal): Promise<void> {
    while (this.#desc.state !== InstanceState.ACTIVE) {
      if (this.service.state() === 'Failed') throw new Error(`${this.ring.name} lifecycler failed before ${this.#cfg.id} became ACTIVE`, { cause: this.service.failureCase() });
      signal.throwIfAborted();
      await sleep(50, signal);
    }
  }

  /**
   * Why this instance should not take traffic yet, or undefined (Cortex CheckReady): it is not
   * ACTIVE, or was first seen ACTIVE less than min_ready_duration ago.
   */
  notReadyReason(): string | undefined {
    if (this.#desc.state !== InstanceState.ACTIVE) {
      return `instance ${this.#cfg.id} is ${stateName(this.#desc.state)} in the ${this.ring.name} ring, not ACTIVE`;
    }
    this.#readySince ??= this.#now();
    const waited = this.#now() - this.#readySince;
    if (waited < this.#cfg.minReadyDuration) return `waiting ${this.#cfg.minReadyDuration - waited}ms more after becoming ACTIVE (min_ready_duration)`;
    return undefined;
  }

  #nowSec(): number {
    return Math.floor(this.#now() / 1000);
  }

  async #starting(signal: AbortSignal): Promise<void> {
    this.ring.service.startAsync();
    await this.ring.service.awaitRunning(signal);
    const fileTokens = this.#cfg.tokensFilePath === '' ? [] : await loadTokensFile(this.#cfg.tokensFilePath);
    const existing = await this.#kv.get(this.#key);
    const d = this.#desc;
    d.registeredTimestamp = existing !== null && existing.registeredTimestamp > 0 ? existing.registeredTimestamp : this.#nowSec();
    const gated = this.#beforeActive !== undefined;
    if (fileTokens.length > 0) {
      d.tokens = fileTokens;
      d.state = gated ? InstanceState.JOINING : InstanceState.ACTIVE;
    } else if (existing !== null && existing.tokens.length > 0 && existing.state !== InstanceState.PENDING) {
      d.tokens = existing.tokens;
      d.state = gated || existing.state === InstanceState.JOINING ? InstanceState.JOINING : InstanceState.ACTIVE;
    }
    this.#log.info({ state: stateName(d.state), tokens: d.tokens.length, fromFile: fileTokens.length > 0 }, 'registering in the ring');
    await this.#write();
  }

  async #running(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#heartbeatLoop(signal), this.#join(signal)]);
  }

  async #heartbeatLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.#cfg.heartbeatPeriod * (0.9 + 0.2 * this.#random()), signal);
      if (signal.aborted) return;
      try {
        await this.heartbeat();
      } catch (err) {
        // The next heartbeat retries; a missed one only matters after the heartbeat timeout.
        this.#log.warn({ err }, 'heartbeat to the ring');
      }
    }
  }

  /** One heartbeat: re-picks tokens lost in a conflict, writes the own key, forgets dead instances. */
  async heartbeat(): Promise<void> {
    const end = this.#heartbeatDuration.startTimer({ name: this.ring.name });
    this.#repickLostTokens();
    await this.#write();
    end();
    await this.#autoForget();
  }

  async #join(signal: AbortSignal): Promise<void> {
    if (this.#desc.state === InstanceState.PENDING) {
      await sleep(this.#cfg.joinAfter, AbortSignal.any([signal, this.#joinWait.signal]));
      if (signal.aborted || this.#desc.state !== InstanceState.PENDING) return;
      const taken = new Set(this.ring.view().snapshot().tokens);
      this.#desc.tokens = pickTokens(this.#cfg.numTokens, taken, this.#random);
      this.#desc.state = InstanceState.JOINING;
      this.#log.info({ tokens: this.#desc.tokens.length }, 'joining the ring');
      await this.#write();
    }
    while (this.#desc.state === InstanceState.JOINING && !signal.aborted) {
      await sleep(this.#cfg.observePeriod, signal);
      if (!(await this.#awaitOwnView(signal))) return;
      if (this.#repickLostTokens()) {
        await this.#write();
        continue;
      }
      await this.#beforeActive?.(signal);
      if (signal.aborted) return;
      this.#desc.state = InstanceState.ACTIVE;
      await this.#write();
      await this.#saveTokens();
      this.#log.info('instance is ACTIVE');
    }
  }

  /** Waits until the watched ring shows our latest tokens, so conflicts are judged on them. */
  async #awaitOwnView(signal: AbortSignal): Promise<boolean> {
    const shows = (): boolean => {
      const snap = this.ring.view().snapshot();
      const me = snap.instances[snap.indexOf(this.#cfg.id)];
      return me !== undefined && me.tokens.length === this.#desc.tokens.length && me.tokens.every((t, i) => t === this.#desc.tokens[i]);
    };
    while (!shows()) {
      if (signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const off = this.ring.onChange(() => done());
        const onAbort = (): void => done();
        signal.addEventListener('abort', onAbort, { once: true });
        function done(): void {
          off();
          signal.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
    return true;
  }

  /** Replaces tokens another instance won (older registration). Returns true when it changed any. */
  #repickLostTokens(): boolean {
    const snap = this.ring.view().snapshot();
    const lost = new Set(snap.lostTokens(this.#cfg.id, this.#tookOverFrom));
    if (lost.size === 0) return false;
    const taken = new Set([...snap.tokens, ...this.#desc.tokens]);
    const kept = this.#desc.tokens.filter((t) => !lost.has(t));
    this.#desc.tokens = [...kept, ...pickTokens(lost.size, taken, this.#random)].sort((a, b) => a - b);
    this.#log.warn({ lost: lost.size }, 'another instance registered earlier claims some of our tokens, picked new ones');
    return true;
  }

  /** Writes our descriptor; writes are serialized so the key always ends with the latest one. */
  #write(): Promise<void> {
    const run = async (): Promise<void> => {
      await this.#kv.cas(this.#key, (cur) => {
        // A PENDING instance took our tokens over while we were LEAVING: do not claim them back.
        if (cur !== null && this.#desc.state === InstanceState.LEAVING && cur.tokens.length === 0) this.#desc.tokens = [];
        return { ...this.#desc, tokens: [...this.#desc.tokens], timestamp: this.#nowSec() };
      });
    };
    const p = this.#writes.then(run, run);
    this.#writes = p.catch(() => {});
    return p;
  }

  async #saveTokens(): Promise<void> {
    if (this.#cfg.tokensFilePath === '') return;
    try {
      await storeTokensFile(this.#cfg.tokensFilePath, this.#desc.tokens);
    } catch (err) {
      this.#log.error({ err, path: this.#cfg.tokensFilePath }, 'storing tokens file');
    }
  }

  /** Deletes instances whose heartbeat is older than N × the heartbeat timeout (cortex#1521). */
  async #autoForget(): Promise<void> {
    const periods = this.#cfg.autoForgetUnhealthyPeriods;
    const timeout = this.ring.heartbeatTimeout();
    if (periods <= 0 || timeout <= 0) return;
    const now = this.#now();
    for (const inst of this.ring.view().snapshot().instances) {
      if (inst.id === this.#cfg.id || heartbeatAgeMs(inst, now) <= periods * timeout) continue;
      this.#log.warn({ forgotten: inst.id, lastHeartbeat: inst.timestamp }, 'forgetting long-unhealthy instance');
      await this.ring.forget(inst.id);
    }
  }

  /**
   * Takes over the tokens of instance `from` (transfer on its shutdown): this PENDING instance
   * becomes ACTIVE with them, then they are removed from `from`. Until that second write both
   * claim them and `from`, registered earlier, keeps owning them, so no key is ever unowned.
   */
  async claimTokensFrom(from: string): Promise<void> {
    if (this.#desc.state !== InstanceState.PENDING) throw new Error(`claim tokens of ${from}: instance ${this.#cfg.id} is ${stateName(this.#desc.state)}, not PENDING`);
    const other = await this.#kv.get(instanceKey(this.ring.key, from));
    if (other === null || other.tokens.length === 0) throw new Error(`claim tokens of ${from}: it has no tokens in the ${this.ring.name} ring`);
    this.#tookOverFrom.add(from);
    this.#desc.tokens = [...other.tokens];
    this.#desc.state = InstanceState.ACTIVE;
    this.#joinWait.abort();
    await this.#write();
    await this.#kv.cas(instanceKey(this.ring.key, from), (cur) => (cur === null ? null : { ...cur, tokens: [] }));
    await this.#saveTokens();
    this.#log.info({ from, tokens: other.tokens.length }, 'took over tokens');
  }

  async #stopping(): Promise<void> {
    try {
      if (this.#desc.state === InstanceState.ACTIVE || this.#desc.state === InstanceState.JOINING) {
        this.#desc.state = InstanceState.LEAVING;
        await this.#write();
      }
      await this.#onLeaving();
      if (this.#cfg.unregisterOnShutdown) {
        await this.#writes;
        await this.#kv.delete(this.#key);
        this.#log.info('unregistered from the ring');
      }
    } finally {
      this.ring.service.stopAsync();
      await this.ring.service.awaitTerminated();
    }
    // Cortex's final_sleep: stay up a little so the last /metrics scrape sees the shutdown.
    if (this.#cfg.finalSleep > 0) await new Promise((resolve) => setTimeout(resolve, this.#cfg.finalSleep));
  }
}
