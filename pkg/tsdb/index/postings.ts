/**
 * Postings lists: strictly increasing series references, as a number[] or a typed array (a block's
 * postings decode to Uint32Array; the head keeps number[] it can push to). The operations below take
 * any of them and return new plain arrays; inputs are never mutated, and an input may be returned
 * as is when the result equals it (treat results as read-only).
 */

export type Postings = ArrayLike<number>;

export const EmptyPostings: readonly number[] = Object.freeze([]) as readonly number[];

/** First index i >= lo with p[i] >= x (p.length when none), by galloping then binary search. */
export function seekIndex(p: Postings, x: number, lo: number): number {
  const n = p.length;
  if (lo >= n || p[lo] >= x) return lo;
  let step = 1;
  let hi = lo + 1;
  while (hi < n && p[hi] < x) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > n) hi = n;
  // p[lo] < x, and p[hi] >= x or hi === n.
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid] < x) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Refs present in every list. */
export function intersectPostings(lists: readonly Postings[]): Postings {
  if (lists.length === 0) return EmptyPostings;
  if (lists.length === 1) return lists[0];
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  if (sorted[0].length === 0) return EmptyPostings;
  let acc: Postings = sorted[0];
  for (let i = 1; i < sorted.length && acc.length > 0; i++) acc = intersectTwo(acc, sorted[i]);
  return acc;
}

function intersectTwo(small: Postings, big: Postings): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < small.length; i++) {
    const x = small[i];
    j = seekIndex(big, x, j);
    if (j === big.length) break;
    if (big[j] === x) out.push(x);
  }
  return out;
}

/** Refs present in any list, sorted and distinct. */
export function mergePostings(lists: readonly Postings[]): Postings {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EmptyPostings;
  if (nonEmpty.length === 1) return nonEmpty[0];
  if (nonEmpty.length === 2) return mergeTwo(nonEmpty[0], nonEmpty[1]);
  // Many lists (a regex over many values): concatenating and sorting once beats a k-way heap in V8.
  let total = 0;
  for (const l of nonEmpty) total += l.length;
  const all = new Float64Array(total);
  let k = 0;
  for (const l of nonEmpty) for (let i = 0; i < l.length; i++) all[k++] = l[i];
  all.sort();
  const out: number[] = [];
  for (let i = 0; i < total; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]);
  return out;
}

function mergeTwo(a: Postings, b: Postings): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  for (; i < a.length; i++) out.push(a[i]);
  for (; j < b.length; j++) out.push(b[j]);
  return out;
}

/** Refs in `a` that are not in `b`. */
export function subtractPostings(a: Postings, b: Postings): Postings {
  if (a.length === 0 || b.length === 0) return a;
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    j = seekIndex(b, x, j);
    if (j === b.length || b[j] !== x) out.push(x);
  }
  return out;
}

/** Inserts `ref` into a sorted number[] in place, keeping it distinct; cheap when ref is the largest. */
export function insertPosting(list: number[], ref: number): void {
  const n = list.length;
  if (n === 0 || list[n - 1] < ref) {
    list.push(ref);
    return;
  }
  const i = seekIndex(list, ref, 0);
  if (list[i] !== ref) list.splice(i, 0, ref);
}
