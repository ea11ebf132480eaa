/** The HTTP header and gRPC metadata key that carry the tenant (Cortex's `X-Scope-OrgID`). */
export const OrgIdHeader = 'x-scope-orgid';
/** The tenant used for every request when `-auth.enabled=false`. */
export const AnonymousTenant = 'anonymous';
/** Separates tenants in a federated (multi-tenant) read: `a|b`. */
export const TenantSeparator = '|';
/** Label added to series of federated reads. */
export const TenantLabel = '__tenant_id__';

const maxTenantIdLength = 150;

/** Characters Cortex allows in a tenant ID: letters, digits and `!-_.*'()`. */
const validTenantChar = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!-_.*\'()') validTenantChar[c.charCodeAt(0)] = 1;

/** Why a tenant ID is rejected; the text goes into the 400 answer. */
export class TenantError extends Error {
  readonly code: 'missing' | 'invalid';
  constructor(code: 'missing' | 'invalid', message: string) {
    super(message);
    this.name = 'TenantError';
    this.code = code;
  }
}

/** Returns why `id` is not a valid tenant ID, or undefined when it is (Cortex tenant.ValidTenantID). */
export function tenantIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'tenant ID is empty';
  if (id.length > maxTenantIdLength) return `tenant ID is too long: max ${maxTenantIdLength} characters`;
  if (id === '.' || id === '..') return `tenant ID is '.' or '..'`;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 128 || validTenantChar[c] === 0) {
      return `tenant ID '${id}' contains unsupported character '${String.fromCodePoint(id.codePointAt(i) as number)}'`;
    }
  }
  return undefined;
}

/**
 * The tenants named by an org ID value: one for writes, one or more (`a|b`) for reads. Sorted and
 * deduplicated, as Cortex's tenant resolver does. Throws a TenantError when any part is invalid.
 */
export function parseTenantIds(orgId: string): string[] {
  const ids = [...new Set(orgId.split(TenantSeparator))].sort();
  for (const id of ids) {
    const problem = tenantIdProblem(id);
    if (problem !== undefined) throw new TenantError('invalid', problem);
  }
  return ids;
}

export interface TenantResolverConfig {
  /** When false every request belongs to the `anonymous` tenant (`-auth.enabled=false`). */
  authEnabled: boolean;
}

/**
 * Resolves the tenant of a request from its `X-Scope-OrgID` value: the one place that decides
 * tenancy for HTTP and gRPC alike.
 */
export class TenantResolver {
  readonly #authEnabled: boolean;

  constructor(cfg: TenantResolverConfig) {
    this.#authEnabled = cfg.authEnabled;
  }

  /** The single tenant of a write or per-tenant call; `a|b` is rejected. */
  tenant(orgId: string | undefined): string {
    const ids = this.tenants(orgId);
    if (ids.length > 1) throw new TenantError('invalid', 'multiple org IDs present');
    return ids[0];
  }

  /** All tenants of a read (`a|b` allowed), sorted. */
  tenants(orgId: string | undefined): string[] {
    if (!this.#authEnabled) return [AnonymousTenant];
    if (orgId === undefined || orgId === '') throw new TenantError('missing', 'no org id');
    return parseTenantIds(orgId);
  }
}
