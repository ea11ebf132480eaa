import { MatchType, type Matcher } from '../../model/labels/index.js';
import { EmptyPostings, intersectPostings, mergePostings, subtractPostings, type IndexReader, type Postings } from '../index/index.js';

/**
 * The series refs of a block matching every matcher, with the semantics of the head's
 * `postingsForMatchers` (pkg/tsdb/index, Prometheus PostingsForMatchers): a matcher that admits
 * the empty value also selects series without the label, so it becomes a subtraction of the
 * series whose value it rejects; the others are intersected; no matchers select nothing.
 *
 * A twin of the head's function because a block's postings come from disk: every lookup here is
 * an await, while the head's index answers synchronously.
 */
export async function blockPostingsForMatchers(ix: IndexReader, matchers: readonly Matcher[]): Promise<Postings> {
  if (matchers.length === 0) return EmptyPostings;
  const include: Postings[] = [];
  const exclude: Postings[] = [];
  for (const m of matchers) {
    if (m.matchesEmpty()) {
      exclude.push(await postingsWhere(ix, m, false));
    } else {
      const p = await postingsWhere(ix, m, true);
      if (p.length === 0) return EmptyPostings;
      include.push(p);
    }
  }
  if (include.length === 0) include.push(await ix.allPostings());
  let out = intersectPostings(include);
  for (const p of exclude) {
    if (out.length === 0) break;
    out = subtractPostings(out, p);
  }
  return out;
}

/** Series having label m.name with a value v for which m.matches(v) === want. */
async function postingsWhere(ix: IndexReader, m: Matcher, want: boolean): Promise<Postings> {
  const set = want ? m.setMatches() : m.type === MatchType.NotEqual ? [m.value] : undefined;
  if (set !== undefined) return mergePostings(await ix.postingsForValues(m.name, set));
  return mergePostings(await ix.postingsMatching(m.name, (v) => m.matches(v) === want));
}
