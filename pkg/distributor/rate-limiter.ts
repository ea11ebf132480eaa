// Per-tenant token buckets (golang.org/x/time/rate as Cortex uses it). The rate and burst of a
// tenant are looked up on every call, so a runtime-config change applies at once; under the
// global strategy the rate is the tenant's limit divided by the healthy distributors.

/** A tenant's current rate (per second) and burst. A rate or burst of 0 disables the limit. */
export type RateFn = (tenant: string) => { rate: number; burst: number };

interface Bucket {
  tokens: number;
  last: number;
}

export class RateLimiter {
  readonly #rate: RateFn;
  readonly #buckets = new Map<string, Bucket>();

  constructor(rate: RateFn) {
    this.#rate = rate;
  }

  /** Takes `n` tokens at time `now` (ms) if the tenant has them; false otherwise (nothing taken). */
  allow(tenant: string, n: number, now: number): boolean {
    const { rate, burst } = this.#rate(tenant);
    if (rate <= 0 || burst <= 0 || !Number.isFinite(rate)) return true;
    let b = this.#buckets.get(tenant);
    if (b === undefined) this.#buckets.set(tenant, (b = { tokens: burst, last: now }));
    const tokens = Math.min(burst, b.tokens + ((now - b.last) / 1000) * rate);
    b.last = now;
    if (n > tokens) {
      b.tokens = tokens;
      return false;
    }
    b.tokens = tokens - n;
    return true;
  }
}

/** Cortex's rate strategies: `local` gives each distributor the whole rate, `global` a share. */
export function strategyRate(strategy: 'local' | 'global', limit: number, healthyDistributors: number): number {
  return strategy === 'global' ? limit / Math.max(1, healthyDistributors) : limit;
}
