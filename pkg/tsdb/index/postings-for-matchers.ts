import type { Matcher } from '../../model/labels/index.js';
import { MatchType } from '../../model/labels/index.js';
import type { Postings } from './postings.js';
import { EmptyPostings, intersectPostings, subtractPostings } from './postings.js';

/** What postingsForMatchers needs from an index (the head's MemPostings, a block's index reader). */
export interface PostingsIndex {
  /** Refs of series whose label `name` has any of `values`, sorted. */
  postings(name: string, values: readonly string[]): Postings;
  /** Every value of `name` (any order). */
  labelValues(name: string): readonly string[];
  /** Every series ref, sorted. */
  allPostings(): Postings;
}

/**
 * The sorted refs of series selected by all matchers, with Prometheus' semantics
 * (tsdb/querier.go PostingsForMatchers): a missing label counts as the empty value, so a matcher
 * that matches "" also selects series without the label, and negative matchers are answered by
 * subtracting what their inverse selects. No matchers select nothing.
 */
export function postingsForMatchers(ix: PostingsIndex, matchers: readonly Matcher[]): Postings {
  if (matchers.length === 0) return EmptyPostings;
  const mustBeSet = new Set<string>();
  for (const m of matchers) if (!m.matchesEmpty()) mustBeSet.add(m.name);

  const its: Postings[] = [];
  const notIts: Postings[] = [];
  for (const m of matchers) {
    if (mustBeSet.has(m.name)) {
      const isNot = m.type === MatchType.NotEqual || m.type === MatchType.NotRegexp;
      if (isNot && m.matchesEmpty()) {
        // l!="foo" while another matcher requires l: drop series where l="foo".
        notIts.push(matching(ix, m, false));
      } else {
        // l="foo", l=~"a|b", or l!="" (a negative matcher that rejects ""): values it accepts.
        const p = matching(ix, m, true);
        if (p.length === 0) return EmptyPostings;
        its.push(p);
      }
    } else {
      // The matcher accepts "": every series except those whose value it rejects.
      notIts.push(matching(ix, m, false));
    }
  }
  if (its.length === 0) its.push(ix.allPostings());
  let out = intersectPostings(its);
  for (const n of notIts) {
    if (out.length === 0) break;
    out = subtractPostings(out, n);
  }
  return out;
}

/** Series whose value of m.name is one for which m.matches(value) === want (series without it excluded). */
function matching(ix: PostingsIndex, m: Matcher, want: boolean): Postings {
  const set = m.setMatches();
  if (want && set !== undefined) return ix.postings(m.name, set);
  if (!want && m.type === MatchType.NotEqual) return ix.postings(m.name, [m.value]);
  const values = ix.labelValues(m.name);
  const picked: string[] = [];
  for (const v of values) if (m.matches(v) === want) picked.push(v);
  if (picked.length === 0) return EmptyPostings;
  return ix.postings(m.name, picked);
}
