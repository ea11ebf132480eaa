// Sends a tenant's alerts to Alertmanager as Prometheus' notifier does: a bounded queue (the oldest
// are dropped past its capacity), batches of up to 64 POSTed to <url>/api/v2/alerts of every
// configured Alertmanager, with the tenant's X-Scope-OrgID so a multi-tenant Alertmanager routes.
import type { Logger } from '../log/index.js';
import type { NotifierMetrics } from './metrics.js';

/** Alertmanager's API v2 alert (postableAlert). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface NotifierConfig {
  /** The Alertmanagers' base URLs now (AlertmanagerDiscovery). */
  urls: () => Promise<string[]>;
  capacity: number;
  /** ms */
  timeout: number;
}

const maxBatchSize = 64;

export class Notifier {
  readonly #cfg: NotifierConfig;
  readonly #tenant: string;
  readonly #metrics: NotifierMetrics;
  readonly #logger: Logger;
  #queue: PostableAlert[] = [];
  #sending: Promise<void> | undefined;

  constructor(cfg: NotifierConfig, tenant: string, metrics: NotifierMetrics, logger: Logger) {
    this.#cfg = cfg;
    this.#tenant = tenant;
    this.#metrics = metrics;
    this.#logger = logger;
    metrics.queueCapacity.set({ user: tenant }, cfg.capacity);
  }

  /** Queues alerts and starts sending; never waits for Alertmanager. */
  send(alerts: PostableAlert[]): void {
    if (alerts.length === 0) return;
    const user = this.#tenant;
    this.#queue.push(...alerts);
    const over = this.#queue.length - this.#cfg.capacity;
    if (over > 0) {
      this.#queue = this.#queue.slice(over);
      this.#metrics.dropped.inc({ user }, over);
    }
    this.#metrics.queueLength.set({ user }, this.#queue.length);
    this.#sending ??= this.#drain().finally(() => {
      this.#sending = undefined;
    });
  }

  /** Resolves when the queue is empty (or every send has been tried). */
  async flush(): Promise<void> {
    while (this.#sending !== undefined) await this.#sending;
  }

  async #drain(): Promise<void> {
    const user = this.#tenant;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, maxBatchSize);
      this.#metrics.queueLength.set({ user }, this.#queue.length);
      const body = JSON.stringify(batch);
      await Promise.all((await this.#cfg.urls()).map(async (url) => {
        try {
          const res = await fetch(`${url.replace(/\/$/, '')}/api/v2/alerts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-scope-orgid': user },
            body,
            signal: AbortSignal.timeout(this.#cfg.timeout),
          });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`bad response status ${res.status}`);
          this.#metrics.sent.inc({ user, alertmanager: url }, batch.length);
        } catch (err) {
          this.#metrics.errors.inc({ user, alertmanager: url }, batch.length);
          this.#metrics.sent.inc({ user, alertmanager: url }, batch.length);
          this.#logger.warn({ tenant: user, alertmanager: url, err }, 'error sending alerts');
        }
      }));
    }
  }
}
