// The querier's side of query sharding: a selector's `__query_shard__="<i>_of_<n>"` matcher goes
// down to the ingesters and store-gateways, which keep the series of that shard (pkg/tsdb); here it
// is checked first, so that a bad one is the request's 400 and not a failure of every component
// it reaches. Label names and values ignore it (it names no label, and shards serve queries only).
import type { Matcher } from '../model/labels/index.js';
import { QueryShardError, QueryShardLabel, splitQueryShard } from '../model/labels/index.js';
import { ErrorType, QueryError } from '../promql/index.js';
import type { LabelHints, Queryable, SelectHints, SeriesSet } from '../storage/index.js';
import { lazySeriesSet } from '../storage/index.js';
import { SelectWrappingQuerier } from './select-wrapping-querier.js';

/** A bad `__query_shard__` matcher: 400 (bad_data) naming it. */
export class InvalidQueryShardError extends QueryError {
  constructor(cause: QueryShardError) {
    super(ErrorType.BadData, `invalid parameter "query": ${cause.message}`, { cause });
  }
}

export function queryShardQueryable(inner: Queryable): Queryable {
  return { querier: async (mint, maxt) => new QueryShardQuerier(await inner.querier(mint, maxt)) };
}

class QueryShardQuerier extends SelectWrappingQuerier {
  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    try {
      splitQueryShard(matchers);
    } catch (err) {
      if (!(err instanceof QueryShardError)) throw err;
      return lazySeriesSet(() => Promise.reject(new InvalidQueryShardError(err)));
    }
    return this.inner.select(hints, ...matchers);
  }

  override labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return this.inner.labelNames(hints, ...withoutShard(matchers));
  }

  override labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    return this.inner.labelValues(name, hints, ...withoutShard(matchers));
  }
}

function withoutShard(matchers: Matcher[]): Matcher[] {
  return matchers.some((m) => m.name === QueryShardLabel) ? matchers.filter((m) => m.name !== QueryShardLabel) : matchers;
}
