import { Matcher, MatchType } from '../model/labels/index.js';
import type { Queryable } from '../storage/index.js';
import { ValueType } from '../storage/index.js';
import { f64, u32 } from './chunkenc/index.js';

/**
 * Every sample of a queryable as `labels text → [t, value bits as hex][]`, for tests. Values are
 * compared as bits: NaN payloads (the stale marker) and -0 must survive exactly. A histogram sample
 * is `h:` (integer) or `fh:` then its float form as JSON, counter reset hint left out.
 */
export async function dumpHead(q: Queryable, mint = -Infinity, maxt = Infinity): Promise<Map<string, [number, string][]>> {
  const querier = await q.querier(mint, maxt);
  const set = querier.select(
    { start: mint, end: maxt, step: 0, func: '', range: 0, sortSeries: true },
    new Matcher(MatchType.Regexp, '__name__', '.*'),
  );
  const out = new Map<string, [number, string][]>();
  while (await set.next()) {
    const s = set.at();
    const it = s.iterator();
    const rows: [number, string][] = [];
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
      if (vt !== ValueType.Float) {
        const { counterResetHint: _, ...fh } = it.atFloatHistogram();
        rows.push([it.atT(), (vt === ValueType.Histogram ? 'h:' : 'fh:') + JSON.stringify(fh)]);
        continue;
      }
      f64[0] = it.atV();
      rows.push([it.atT(), u32[1].toString(16).padStart(8, '0') + u32[0].toString(16).padStart(8, '0')]);
    }
    const err = it.err();
    if (err !== undefined) throw err;
    out.set(s.labels.toString(), rows);
  }
  await querier.close();
  return out;
}
