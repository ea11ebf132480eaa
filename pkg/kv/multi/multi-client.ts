// Two stores behind one KVClient, for migrating a ring between stores (dskit kv/multi.go):
// reads and watches use the primary; writes go to the primary and, when mirroring is on, the
// value the primary ended with is copied to the secondary. The primary can be switched at
// runtime (e.g. from the runtime config); running watches then move to the new primary.
import type { Logger } from '../../log/index.js';
import type { Registry } from 'prom-client';
import type { CasFn, KVClient, WatchKeyFn, WatchPrefixFn } from '../client.js';
import type { MultiConfig } from '../config.js';
import { sharedCounter, sharedGauge } from '../metrics.js';

export interface NamedClient<T> {
  name: string;
  client: KVClient<T>;
}

export interface MultiClientOptions {
  logger: Logger;
  registry: Registry;
  /** Ring (or other user) name, the `kv_name` label. */
  kvName: string;
}

export class MultiClient<T> implements KVClient<T> {
  readonly #clients: NamedClient<T>[];
  readonly #cfg: MultiConfig;
  #primary: NamedClient<T>;
  #mirrorEnabled: boolean;
  readonly #mirrorTimeout: number;
  readonly #log: Logger;
  readonly #kvName: string;
  /** Aborted when the primary changes, so watches restart on the new one. */
  #switch = new AbortController();
  #closed = false;
  readonly #mirrorWrites;
  readonly #mirrorErrors;
  readonly #primaryGauge;
  readonly #mirrorGauge;

  constructor(cfg: MultiConfig, clients: NamedClient<T>[], opts: MultiClientOptions) {
    this.#clients = clients;
    this.#cfg = cfg;
    this.#primary = this.#find(cfg.primary);
    this.#mirrorEnabled = cfg.mirrorEnabled;
    this.#mirrorTimeout = cfg.mirrorTimeout;
    this.#log = opts.logger;
    this.#kvName = opts.kvName;
    this.#mirrorWrites = sharedCounter(opts.registry, {
      name: 'myelin_multikv_mirror_writes_total',
      help: 'Writes mirrored to the secondary KV store.',
      labelNames: ['kv_name'],
    });
    this.#mirrorErrors = sharedCounter(opts.registry, {
      name: 'myelin_multikv_mirror_write_errors_total',
      help: 'Writes to the secondary KV store that failed or timed out.',
      labelNames: ['kv_name'],
    });
    this.#primaryGauge = sharedGauge(opts.registry, {
      name: 'myelin_multikv_current_primary',
      help: '1 for the store currently used as primary.',
      labelNames: ['kv_name', 'primary'],
    });
    this.#mirrorGauge = sharedGauge(opts.registry, {
      name: 'myelin_multikv_mirror_enabled',
      help: '1 when writes are mirrored to the secondary KV store.',
      labelNames: ['kv_name'],
    });
    this.#updateGauges();
  }

  #find(name: string): NamedClient<T> {
    const c = this.#clients.find((x) => x.name === name);
    if (c === undefined) throw new Error(`multi KV: no store named ${JSON.stringify(name)}`);
    return c;
  }

  #updateGauges(): void {
    for (const c of this.#clients) {
      this.#primaryGauge.set({ kv_name: this.#kvName, primary: c.name }, c === this.#primary ? 1 : 0);
    }
    this.#mirrorGauge.set({ kv_name: this.#kvName }, this.#mirrorEnabled ? 1 : 0);
  }

  get primary(): string {
    return this.#primary.name;
  }

  /** Makes `name` the primary; running watches restart on it. */
  setPrimary(name: string): void {
    const next = this.#find(name);
    if (next === this.#primary) return;
    this.#log.info({ kv_name: this.#kvName, primary: name }, 'switching KV primary');
    this.#primary = next;
    this.#updateGauges();
    const old = this.#switch;
    this.#switch = new AbortController();
    old.abort();
  }

  setMirrorEnabled(enabled: boolean): void {
    this.#mirrorEnabled = enabled;
    this.#updateGauges();
  }

  /**
   * Applies the runtime config's `multi_kv_config` (Cortex): a field left out falls back to the
   * static config, so removing the runtime override undoes the switch.
   */
  applyRuntimeConfig(r: { primary: string | undefined; mirrorEnabled: boolean | undefined } | undefined): void {
    this.setPrimary(r?.primary ?? this.#cfg.primary);
    this.setMirrorEnabled(r?.mirrorEnabled ?? this.#cfg.mirrorEnabled);
  }

  get(key: string): Promise<T | null> {
    return this.#primary.client.get(key);
  }

  async cas(key: string, f: CasFn<T>): Promise<T | null> {
    const primary = this.#primary;
    const result = await primary.client.cas(key, f);
    if (result !== null) await this.#mirror(primary, key, (c) => c.cas(key, () => result));
    return result;
  }

  async delete(key: string): Promise<void> {
    const primary = this.#primary;
    await primary.client.delete(key);
    await this.#mirror(primary, key, (c) => c.delete(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.#primary.client.list(prefix);
  }

  /** Writes to every store but `primary`; errors are counted and logged, never returned. */
  async #mirror(primary: NamedClient<T>, key: string, write: (c: KVClient<T>) => Promise<unknown>): Promise<void> {
    if (!this.#mirrorEnabled) return;
    for (const other of this.#clients) {
      if (other === primary) continue;
      this.#mirrorWrites.inc({ kv_name: this.#kvName });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${this.#mirrorTimeout}ms`)), this.#mirrorTimeout);
      });
      try {
        await Promise.race([write(other.client), timeout]);
      } catch (err) {
        this.#mirrorErrors.inc({ kv_name: this.#kvName });
        this.#log.warn({ kv_name: this.#kvName, store: other.name, key, err }, 'mirroring KV write');
      } finally {
        clearTimeout(timer);
      }
    }
  }

  watchKey(key: string, signal: AbortSignal, f: WatchKeyFn<T>): Promise<void> {
    return this.#follow(signal, (s, stop) => this.#primary.client.watchKey(key, s, (v) => stop(f(v))));
  }

  watchPrefix(prefix: string, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void> {
    return this.#follow(signal, (s, stop) => this.#primary.client.watchPrefix(prefix, s, (k, v) => stop(f(k, v))));
  }

  /** Runs `watch` on the current primary, again after each switch, until `signal` aborts or `f` stops. */
  async #follow(
    signal: AbortSignal,
    watch: (s: AbortSignal, stop: (r: boolean | void) => boolean | void) => Promise<void>,
  ): Promise<void> {
    let stopped = false;
    const stop = (r: boolean | void): boolean | void => {
      if (r === false) stopped = true;
      return r;
    };
    while (!signal.aborted && !stopped && !this.#closed) {
      await watch(AbortSignal.any([signal, this.#switch.signal]), stop);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#switch.abort();
    await Promise.all(this.#clients.map((c) => c.client.close()));
  }
}
