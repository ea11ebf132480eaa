// The tenant picker: a text field (any tenant ID may be typed) offering the tenants Myelin reports
// and the ones picked before; the choice is remembered in localStorage.

const storageKey = 'myelin.tenant';
const recentKey = 'myelin.recentTenants';
const maxRecent = 20;

export function storedTenant(): string {
  return localStorage.getItem(storageKey) ?? '';
}

export function rememberTenant(tenant: string): void {
  localStorage.setItem(storageKey, tenant);
  if (tenant === '') return;
  const recent = recentTenants().filter((t) => t !== tenant);
  localStorage.setItem(recentKey, JSON.stringify([tenant, ...recent].slice(0, maxRecent)));
}

function recentTenants(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(recentKey) ?? '[]');
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The tenants the distributor has seen (its all_user_stats JSON); none when this process runs no
 * distributor or the call fails, which leaves free entry.
 */
async function knownTenants(url: string): Promise<string[]> {
  if (url === '') return [];
  try {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) return [];
    const stats = (await res.json()) as { userId?: unknown }[];
    return stats.map((s) => s.userId).filter((t): t is string => typeof t === 'string');
  } catch {
    return [];
  }
}

/** Fills `list` (a datalist) with the known and recent tenants, known first. */
export async function fillTenantList(list: HTMLDataListElement, url: string): Promise<void> {
  const names = [...new Set([...(await knownTenants(url)), ...recentTenants()])];
  list.replaceChildren(...names.map((n) => Object.assign(document.createElement('option'), { value: n })));
}
