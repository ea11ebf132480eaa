import { MatchType, type Matcher } from '../../model/labels/index.js';
import {
  ALL_POSTINGS_NAME,
  ALL_POSTINGS_VALUE,
  intersectPostings,
  mergePostings,
  subtractPostings,
  type IndexReader,
  type Postings,
} from '../index/index.js';

/**
 * The series refs of a block matching every matcher (Prometheus PostingsForMatchers). A matcher that
 * admits the empty string also selects series without the label, so it becomes a subtraction of
 * the series whose value it rejects; the others are intersected. With no intersecting matcher the
 * start is the list of all series.
 */
export async function postingsForMatchers(ix: IndexReader, matchers: readonly Matcher[]): Promise<Postings> {
  const include: Postings[] = [];
  const exclude: Postings[] = [];
  for (const m of matchers) {
    if (m.matches('')) {
      exclude.push(await rejectedBy(ix, m));
    } else {
      const p = await acceptedBy(ix, m);
      if (p.length === 0) return p;
      include.push(p);
    }
  }
  if (include.length === 0) include.push(await ix.postings(ALL_POSTINGS_NAME, ALL_POSTINGS_VALUE));
  let out = intersectPostings(include);
  for (const p of exclude) {
    if (out.length === 0) break;
    out = subtractPostings(out, p);
  }
  return out;
}

/** Series whose value of m.name satisfies m (m rejects ''). */
async function acceptedBy(ix: IndexReader, m: Matcher): Promise<Postings> {
  if (m.type === MatchType.Equal) return ix.postings(m.name, m.value);
  return mergePostings(await ix.postingsMatching(m.name, (v) => m.matches(v)));
}

/** Series that have label m.name with a value m rejects (m accepts ''). */
async function rejectedBy(ix: IndexReader, m: Matcher): Promise<Postings> {
  if (m.type === MatchType.NotEqual) return ix.postings(m.name, m.value);
  return mergePostings(await ix.postingsMatching(m.name, (v) => !m.matches(v)));
}
