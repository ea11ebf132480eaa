// A pool of clients by address (Cortex ring/client/pool.go): one client per instance, reused by
// every request. A periodic check closes the clients of instances that left the ring and those
// that fail their health check, so a dead or departed instance costs nothing after one period.
import { Gauge, Counter, type Registry } from 'prom-client';
import type { Logger } from '../../log/index.js';
import { timerService, type Service } from '../../services/index.js';

/** What the pool needs of a client. */
export interface PoolClient {
  /** Resolves when the instance answers within `timeoutMs`; rejects otherwise. */
  checkHealth(timeoutMs: number): Promise<void>;
  close(): void;
}

export interface PoolConfig {
  /** Milliseconds between checks. */
  checkInterval: number;
  /** Whether the check also probes each client's health (otherwise only ring membership). */
  healthCheckEnabled: boolean;
  /** Milliseconds a health check may take. */
  healthCheckTimeout: number;
}

export interface PoolDeps<C extends PoolClient> {
  /** Creates the client for an address. */
  factory: (addr: string) => C;
  /** The addresses currently in the ring; clients of other addresses are closed by the check. */
  addresses?: () => Iterable<string>;
  logger: Logger;
  registry: Registry;
  /** Metric name prefix: `myelin_<name>_clients`. */
  name: string;
}

export class ClientPool<C extends PoolClient> {
  readonly #cfg: PoolConfig;
  readonly #deps: PoolDeps<C>;
  readonly #clients = new Map<string, C>();
  readonly #log: Logger;
  readonly #removed: Counter;

  constructor(cfg: PoolConfig, deps: PoolDeps<C>) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'client-pool', pool: deps.name });
    const clients = this.#clients;
    new Gauge({
      name: `myelin_${deps.name}_clients`,
      help: `The current number of ${deps.name} clients in the pool.`,
      registers: [deps.registry],
      collect() {
        this.set(clients.size);
      },
    });
    this.#removed = new Counter({
      name: `myelin_${deps.name}_client_removals_total`,
      help: `Clients closed by the pool's check, by reason (left_ring, unhealthy).`,
      labelNames: ['reason'],
      registers: [deps.registry],
    });
  }

  /** The client for `addr`, created on first use. */
  get(addr: string): C {
    let c = this.#clients.get(addr);
    if (c === undefined) {
      c = this.#deps.factory(addr);
      this.#clients.set(addr, c);
    }
    return c;
  }

  addresses(): string[] {
    return [...this.#clients.keys()];
  }

  /** Closes and forgets the client of `addr` (for example after it failed a call). */
  remove(addr: string): void {
    const c = this.#clients.get(addr);
    if (c === undefined) return;
    this.#clients.delete(addr);
    c.close();
  }

  /** One round of the periodic check: ring membership first, then health. */
  async check(): Promise<void> {
    if (this.#deps.addresses !== undefined) {
      const live = new Set(this.#deps.addresses());
      for (const addr of this.addresses()) {
        if (live.has(addr)) continue;
        this.#log.info({ addr }, 'closing client of instance that left the ring');
        this.#removed.inc({ reason: 'left_ring' });
        this.remove(addr);
      }
    }
    if (!this.#cfg.healthCheckEnabled) return;
    await Promise.all(
      [...this.#clients].map(async ([addr, c]) => {
        try {
          await c.checkHealth(this.#cfg.healthCheckTimeout);
        } catch (err) {
          this.#log.warn({ addr, err }, 'closing client of unhealthy instance');
          this.#removed.inc({ reason: 'unhealthy' });
          if (this.#clients.get(addr) === c) this.remove(addr);
        }
      }),
    );
  }

  /** Runs the check every checkInterval; closes every client when stopped. */
  service(): Service {
    return timerService(`${this.#deps.name}-pool`, this.#cfg.checkInterval, () => this.check(), {
      stopping: async () => {
        for (const addr of this.addresses()) this.remove(addr);
      },
    });
  }
}
