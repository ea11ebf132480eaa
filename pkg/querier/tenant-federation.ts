import { Labels, LabelsBuilder, MatchType, Matcher, compareUtf8 } from '../model/labels/index.js';
import { lazySeriesSet, limitLabels, seriesSetOf } from '../storage/index.js';
import type { LabelHints, Querier, Queryable, SampleIterator, SelectHints, Series, SeriesSet } from '../storage/index.js';
import { TenantLabel } from '../tenant/index.js';

/** Where a series' own `__tenant_id__` label goes when federation adds the real one (Cortex's name). */
export const OriginalTenantLabel = `original_${TenantLabel}`;

/**
 * A read across several tenants (`X-Scope-OrgID: a|b`, Cortex's tenant federation): every series
 * gets `__tenant_id__="<tenant>"` (a label of that name it already had moves to
 * `original___tenant_id__`), and matchers on `__tenant_id__` choose the tenants to ask.
 */
export function federatedQueryable(tenants: readonly string[], perTenant: (tenant: string) => Queryable): Queryable {
  return {
    async querier(mint, maxt) {
      const parts = await Promise.all(tenants.map(async (t) => ({ tenant: t, q: await perTenant(t).querier(mint, maxt) })));
      return new FederatedQuerier(parts);
    },
  };
}

class FederatedQuerier implements Querier {
  readonly #parts: { tenant: string; q: Querier }[];

  constructor(parts: { tenant: string; q: Querier }[]) {
    this.#parts = parts;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const { chosen, rest } = this.#choose(matchers);
    return lazySeriesSet(async () => {
      const out: Series[] = [];
      for (const { tenant, q } of chosen) {
        const set = q.select(hints, ...rest);
        while (await set.next()) out.push(withTenant(set.at(), tenant));
        const err = set.err();
        if (err !== undefined) throw err;
      }
      return seriesSetOf(out.sort((a, b) => Labels.compare(a.labels, b.labels)));
    });
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const { chosen, rest } = this.#choose(matchers);
    const names = new Set<string>([TenantLabel]);
    for (const { q } of chosen) for (const n of await q.labelNames(hints, ...rest)) names.add(n === TenantLabel ? OriginalTenantLabel : n);
    return limitLabels([...names].sort(compareUtf8), hints.limit);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const { chosen, rest } = this.#choose(matchers);
    if (name === TenantLabel) return limitLabels(chosen.map((p) => p.tenant).sort(compareUtf8), hints.limit);
    const inner = name === OriginalTenantLabel ? TenantLabel : name;
    const values = new Set<string>();
    for (const { q } of chosen) for (const v of await q.labelValues(inner, hints, ...rest)) values.add(v);
    return limitLabels([...values].sort(compareUtf8), hints.limit);
  }

  async close(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.q.close()));
  }

  /** Tenants the `__tenant_id__` matchers accept, and the other matchers (renamed for the tenants' data). */
  #choose(matchers: readonly Matcher[]): { chosen: { tenant: string; q: Querier }[]; rest: Matcher[] } {
    const onTenant = matchers.filter((m) => m.name === TenantLabel);
    const rest = matchers.filter((m) => m.name !== TenantLabel)
      .map((m) => (m.name === OriginalTenantLabel ? new Matcher(m.type, TenantLabel, m.value) : m));
    if (rest.length === 0) rest.push(new Matcher(MatchType.Regexp, '__name__', '.*'));
    const chosen = this.#parts.filter((p) => onTenant.every((m) => m.matches(p.tenant)));
    return { chosen, rest };
  }
}

function withTenant(s: Series, tenant: string): Series {
  const b = new LabelsBuilder(s.labels);
  const own = s.labels.get(TenantLabel);
  if (own !== '') b.set(OriginalTenantLabel, own);
  const labels = b.set(TenantLabel, tenant).labels();
  return { labels, iterator: (reuse?: SampleIterator) => s.iterator(reuse) };
}

