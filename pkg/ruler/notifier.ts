// Sends a tenant's alerts to Alertmanager as Prometheus' notifier does: a bounded queue (the oldest
// are dropped past its capacity), batches of up to 64 POSTed to <url>/api/v2/alerts of every
// configured Alertmanager, with the tenant's X-Scope-OrgID so a multi-tenant Alertmanager routes.
// A batch that no Alertmanager accepted is dropped and counted (Prometheus' sendAll).
import type { Logger } from '../log/index.js';
import { withoutCredentials, type AlertmanagerClient } from './alertmanager-client.js';
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
  client: Pick<AlertmanagerClient, 'post'>;
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
      const urls = await this.#cfg.urls();
      this.#metrics.alertmanagersDiscovered.set({ user }, urls.length);
      const accepted = await Promise.all(urls.map((url) => this.#sendOne(url, body, batch.length)));
      if (!accepted.includes(true)) this.#metrics.dropped.inc({ user }, batch.length);
    }
  }

  /** Whether the Alertmanager at `url` accepted the batch. */
  async #sendOne(url: string, body: string, count: number): Promise<boolean> {
    const user = this.#tenant;
    const alertmanager = withoutCredentials(url);
    const started = performance.now();
    let ok = true;
    try {
      await this.#cfg.client.post(url, user, body);
    } catch (err) {
      ok = false;
      this.#metrics.errors.inc({ user, alertmanager }, count);
      this.#logger.warn({ tenant: user, alertmanager, err }, 'error sending alerts');
    }
    this.#metrics.latency.observe({ user, alertmanager }, (performance.now() - started) / 1000);
    this.#metrics.sent.inc({ user, alertmanager }, count);
    return ok;
  }
}
