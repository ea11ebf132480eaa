// An immutable view of the ring built from the instance descriptors: every claimed token, sorted,
// with the instance that owns it. Lookups walk these typed arrays and never touch the KV.
//
// Token claims are resolved here, the same way on every client: when two instances claim one
// token, the one registered first owns it (older registered_timestamp, then smaller id). The
// loser sees the conflict in its own snapshot and re-picks (lifecycler.ts); until then it simply
// owns fewer tokens. See docs/ring.md, "Token claims".
import { InstanceState, type InstanceDesc } from './desc.js';

const maxInstances = 1 << 16;
const tokenShift = 2 ** 16;

export class RingSnapshot {
  /** Instances sorted by id; LEFT instances are not part of the ring. */
  readonly instances: readonly InstanceDesc[];
  /** Distinct claimed tokens, ascending. */
  readonly tokens: Uint32Array;
  /** owners[i] indexes `instances`: the owner of tokens[i]. */
  readonly owners: Uint16Array;
  /** Distinct zones, sorted ('' when zones are not set). */
  readonly zones: readonly string[];
  readonly #byId: Map<string, number>;

  constructor(descs: Iterable<InstanceDesc>) {
    const instances = [...descs].filter((d) => d.state !== InstanceState.LEFT).sort((a, b) => cmp(a.id, b.id));
    if (instances.length > maxInstances) throw new Error(`BUG: ring of ${instances.length} instances exceeds ${maxInstances}`);
    this.instances = instances;
    this.#byId = new Map(instances.map((d, i) => [d.id, i]));
    this.zones = [...new Set(instances.map((d) => d.zone))].sort();

    // Precedence rank: registered first wins a contested token.
    const byAge = instances.map((_, i) => i);
    byAge.sort((a, b) => instances[a].registeredTimestamp - instances[b].registeredTimestamp || cmp(instances[a].id, instances[b].id));
    const rankOf = new Uint16Array(instances.length);
    byAge.forEach((idx, rank) => (rankOf[idx] = rank));

    // token × 2^16 + rank fits a float64 exactly (< 2^48); sorting sorts by token, then by rank.
    let n = 0;
    for (const d of instances) n += d.tokens.length;
    const packed = new Float64Array(n);
    let j = 0;
    instances.forEach((d, idx) => {
      for (const t of d.tokens) packed[j++] = t * tokenShift + rankOf[idx];
    });
    packed.sort();
    const tokens = new Uint32Array(n);
    const owners = new Uint16Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const token = Math.floor(packed[i] / tokenShift);
      if (m > 0 && tokens[m - 1] === token) continue; // a later rank lost this token
      tokens[m] = token;
      owners[m] = byAge[packed[i] - token * tokenShift];
      m++;
    }
    this.tokens = tokens.subarray(0, m);
    this.owners = owners.subarray(0, m);
  }

  indexOf(id: string): number {
    return this.#byId.get(id) ?? -1;
  }

  /** Index into `tokens` of the first token greater than `key`, wrapping to 0 (dskit searchToken). */
  searchToken(key: number): number {
    const t = this.tokens;
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid] > key) hi = mid;
      else lo = mid + 1;
    }
    return lo === t.length ? 0 : lo;
  }

  /** Tokens each instance owns after conflict resolution, by instance index. */
  tokensOwned(): Uint32Array {
    const out = new Uint32Array(this.instances.length);
    for (let i = 0; i < this.owners.length; i++) out[this.owners[i]]++;
    return out;
  }

  /**
   * Fraction of the 2^32 key space each instance owns, by instance index. Token t owns the keys
   * from the previous token up to t - 1 (keys map to the first token greater than them).
   */
  ownership(): Float64Array {
    const out = new Float64Array(this.instances.length);
    const t = this.tokens;
    if (t.length === 0) return out;
    for (let i = 0; i < t.length; i++) {
      const prev = i === 0 ? t[t.length - 1] - 2 ** 32 : t[i - 1];
      out[this.owners[i]] += (t[i] - prev) / 2 ** 32;
    }
    return out;
  }

  /**
   * Tokens of instance `id` that another instance won (the lifecycler re-picks these). Conflicts
   * with instances in `yieldingTo` are not losses: they are handing their tokens over to `id`.
   */
  lostTokens(id: string, yieldingTo: ReadonlySet<string> = new Set()): number[] {
    const idx = this.indexOf(id);
    if (idx < 0) return [];
    const lost: number[] = [];
    for (const tok of this.instances[idx].tokens) {
      const at = this.searchToken(tok - 1);
      if (this.tokens[at] !== tok) lost.push(tok);
      else if (this.owners[at] !== idx && !yieldingTo.has(this.instances[this.owners[at]].id)) lost.push(tok);
    }
    return lost;
  }

  /** The same instances minus those not in `keep` (for shuffle-shard subrings). */
  subset(keep: ReadonlySet<number>): RingSnapshot {
    return new RingSnapshot(this.instances.filter((_, i) => keep.has(i)));
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
