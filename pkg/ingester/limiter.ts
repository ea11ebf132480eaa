import type { Limits, Overrides } from '../limits/index.js';

/** What the limiter needs to know about the ring to turn global limits into local ones. */
export interface RingCounts {
  /** Healthy ingesters in the ring (at least 1 is assumed). */
  healthyInstances(): number;
  replicationFactor(): number;
}

/** The per-tenant series limits an ingester enforces, with a reason code when one is hit. */
export const SeriesLimitReason = {
  PerUser: 'per_user_series_limit',
  PerMetric: 'per_metric_series_limit',
} as const;

/**
 * Turns a tenant's limits into what this ingester may hold (Cortex ingester Limiter): the local
 * limit, or the global one spread over the ingesters (each series lives on RF of them), whichever
 * is smaller; 0 means unlimited.
 */
export class Limiter {
  readonly #overrides: Overrides;
  readonly #ring: RingCounts;

  constructor(overrides: Overrides, ring: RingCounts) {
    this.#overrides = overrides;
    this.#ring = ring;
  }

  maxSeriesPerUser(tenant: string): number {
    const l = this.#overrides.limits(tenant);
    return this.#combine(l.maxSeriesPerUser, l.maxGlobalSeriesPerUser);
  }

  maxSeriesPerMetric(tenant: string): number {
    const l = this.#overrides.limits(tenant);
    return this.#combine(l.maxSeriesPerMetric, l.maxGlobalSeriesPerMetric);
  }

  /** The size of the tenant's exemplar store on this ingester; 0 keeps none. */
  maxExemplarsPerUser(tenant: string): number {
    return this.#combine(0, this.#overrides.limits(tenant).maxGlobalExemplarsPerUser);
  }

  limits(tenant: string): Limits {
    return this.#overrides.limits(tenant);
  }

  /** Why a new series may not be created, or undefined when it may. */
  seriesRefusal(tenant: string, userSeries: number, metricSeries: number): string | undefined {
    const perUser = this.maxSeriesPerUser(tenant);
    if (perUser > 0 && userSeries >= perUser) return SeriesLimitReason.PerUser;
    const perMetric = this.maxSeriesPerMetric(tenant);
    if (perMetric > 0 && metricSeries >= perMetric) return SeriesLimitReason.PerMetric;
    return undefined;
  }

  #combine(local: number, global: number): number {
    if (global <= 0) return local;
    const healthy = Math.max(1, this.#ring.healthyInstances());
    const fromGlobal = Math.max(1, Math.floor((global / healthy) * this.#ring.replicationFactor()));
    return local <= 0 ? fromGlobal : Math.min(local, fromGlobal);
  }
}
