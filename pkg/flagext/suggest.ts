/** Levenshtein distance, for "did you mean" suggestions on a handful of short names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `name`, when it is close enough to be a likely typo (at most a third of
 * the name's characters differ, `-` and `_` counting as equal); undefined otherwise.
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, '_');
  const want = norm(name);
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(want, norm(c));
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

/** `; did you mean "x"?` for a message about an unknown name, or '' without a close candidate. */
export function didYouMean(name: string, candidates: Iterable<string>, quote: (s: string) => string = (s) => JSON.stringify(s)): string {
  const n = nearestName(name, candidates);
  return n === undefined ? '' : `; did you mean ${quote(n)}?`;
}
