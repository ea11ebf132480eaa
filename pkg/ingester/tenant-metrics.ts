import type { Metric, Registry } from 'prom-client';

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface Collected {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: Sample[];
}

/**
 * Exposes the metrics of many per-tenant registries (one per tenant TSDB: head, WAL) on the
 * ingester's registry as their sum across tenants, as Cortex's ingester aggregates its per-user
 * TSDB registries. A tenant's contribution disappears when its TSDB is closed.
 */
export class TenantRegistries {
  readonly #main: Registry;
  readonly #tenants = new Map<string, Registry>();
  readonly #exposed = new Set<string>();

  constructor(main: Registry) {
    this.#main = main;
  }

  add(tenant: string, reg: Registry): void {
    this.#tenants.set(tenant, reg);
    for (const m of reg.getMetricsAsArray()) this.#expose(m.name, (m as unknown as { help: string }).help);
  }

  remove(tenant: string): void {
    this.#tenants.delete(tenant);
  }

  #expose(name: string, help: string): void {
    if (this.#exposed.has(name)) return;
    this.#exposed.add(name);
    const sum = async (): Promise<Collected> => {
      let type = 'gauge';
      const byKey = new Map<string, Sample>();
      for (const reg of this.#tenants.values()) {
        const metric = reg.getSingleMetric(name);
        if (metric === undefined) continue;
        const got = (await metric.get()) as unknown as Collected;
        type = got.type;
        for (const v of got.values) {
          const key = `${v.metricName ?? ''}\u0000${JSON.stringify(v.labels)}`;
          const acc = byKey.get(key);
          if (acc === undefined) byKey.set(key, { ...v, labels: { ...v.labels } });
          else acc.value += v.value;
        }
      }
      return { name, help, type, aggregator: 'sum', values: [...byKey.values()] };
    };
    this.#main.registerMetric({ name, help, get: sum, reset: () => {} } as unknown as Metric);
  }
}
