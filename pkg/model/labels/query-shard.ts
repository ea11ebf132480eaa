// Query sharding's series selection (Mimir's `__query_shard__`): a query split into n shards asks
// for shard i with the matcher `__query_shard__="<i>_of_<n>"` (1-based), and a series belongs to
// shard i when queryShardHash(its labels) mod n is i-1. The hash is a stable function of the label
// set, so ingesters and store-gateways put every series in exactly one shard.
import { labelsHashHiLo } from './hash.js';
import type { Labels } from './labels.js';
import { MatchType } from './matcher.js';
import type { Matcher } from './matcher.js';

/** The pseudo-label of the shard selector; no series has it. */
export const QueryShardLabel = '__query_shard__';

/** Shard `index` (1-based) of `count`. */
export interface QueryShard {
  index: number;
  count: number;
}

/** A `__query_shard__` matcher that cannot be honoured; its message names the matcher. */
export class QueryShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryShardError';
  }
}

/** Shard counts above this are refused: more shards than any frontend would ask for is a typo. */
export const maxQueryShards = 65_536;

/** `<i>_of_<n>` as a QueryShard; throws a QueryShardError for anything else. */
export function parseQueryShard(value: string): QueryShard {
  const m = /^([1-9][0-9]{0,5})_of_([1-9][0-9]{0,5})$/.exec(value);
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (m === null || index > count || count > maxQueryShards) {
    throw new QueryShardError(`invalid ${QueryShardLabel} matcher value "${value}": want "<i>_of_<n>" with 1 <= i <= n <= ${maxQueryShards}`);
  }
  return { index, count };
}

/** `<i>_of_<n>`. */
export function formatQueryShard(s: QueryShard): string {
  return `${s.index}_of_${s.count}`;
}

/**
 * Takes the shard selector out of `matchers`: the shard it asks for (undefined without one) and the
 * other matchers. Throws a QueryShardError for a selector other than one `=` with a valid value.
 */
export function splitQueryShard(matchers: readonly Matcher[]): { shard: QueryShard | undefined; rest: readonly Matcher[] } {
  let at = -1;
  for (let i = 0; i < matchers.length; i++) {
    if (matchers[i].name !== QueryShardLabel) continue;
    if (at >= 0) throw new QueryShardError(`more than one ${QueryShardLabel} matcher in a selector`);
    if (matchers[i].type !== MatchType.Equal) throw new QueryShardError(`the ${QueryShardLabel} matcher must use "=", not "${matchers[i].type}"`);
    at = i;
  }
  if (at < 0) return { shard: undefined, rest: matchers };
  return { shard: parseQueryShard(matchers[at].value), rest: [...matchers.slice(0, at), ...matchers.slice(at + 1)] };
}

/**
 * The label set's shard hash: the 64-bit labelsHash folded to 30 bits (hi xor lo, top two bits
 * dropped), a small integer V8 keeps unboxed, so a series can hold it at no allocation.
 */
export function queryShardHash(ls: Labels): number {
  const [hi, lo] = labelsHashHiLo(ls);
  return ((hi ^ lo) >>> 2) & 0x3fffffff;
}

/** Whether a series of shard hash `hash` belongs to `shard`. */
export function inQueryShard(hash: number, shard: QueryShard): boolean {
  return hash % shard.count === shard.index - 1;
}
