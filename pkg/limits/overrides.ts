import { applyYaml, ConfigError } from '../flagext/index.js';
import { limitsConfig } from './limits.js';
import type { Limits } from './limits.js';

/** Per-tenant limit overrides as read from the runtime config, by tenant. */
export type TenantOverrides = ReadonlyMap<string, Limits>;

/**
 * Builds each tenant's full limits: the defaults with the tenant's overrides on top. Throws a
 * ConfigError naming `overrides.<tenant>.<key>` for unknown keys and bad values.
 */
export function resolveOverrides(defaults: Limits, raw: unknown): TenantOverrides {
  const out = new Map<string, Limits>();
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('overrides', 'expected a mapping of tenant to limits');
  for (const [tenant, doc] of Object.entries(raw)) {
    const limits = structuredClone(defaults);
    applyYaml(limitsConfig, limits, doc, `overrides.${tenant}`);
    out.set(tenant, limits);
  }
  return out;
}

/** Answers "what are tenant X's limits" (Cortex validation.Overrides); cheap enough for hot paths. */
export class Overrides {
  readonly #defaults: Limits;
  readonly #current: () => TenantOverrides;

  constructor(defaults: Limits, current: () => TenantOverrides) {
    this.#defaults = defaults;
    this.#current = current;
  }

  limits(tenant: string): Limits {
    return this.#current().get(tenant) ?? this.#defaults;
  }

  defaults(): Limits {
    return this.#defaults;
  }
}
