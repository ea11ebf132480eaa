import { Matcher, MatchType } from '../model/labels/index.js';
import type { Queryable } from '../storage/index.js';
import { ValueType } from '../storage/index.js';

/** Every sample of a queryable as `labels text → [t, v][]` (values copied into a Float64Array pair). For tests. */
export async function dumpHead(q: Queryable, mint = -Infinity, maxt = Infinity): Promise<Map<string, [number, number][]>> {
  const querier = await q.querier(mint, maxt);
  const set = querier.select(
    { start: mint, end: maxt, step: 0, func: '', range: 0, sortSeries: true },
    new Matcher(MatchType.Regexp, '__name__', '.*'),
  );
  const out = new Map<string, [number, number][]>();
  while (await set.next()) {
    const s = set.at();
    const it = s.iterator();
    const rows: [number, number][] = [];
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) rows.push([it.atT(), it.atV()]);
    const err = it.err();
    if (err !== undefined) throw err;
    out.set(s.labels.toString(), rows);
  }
  await querier.close();
  return out;
}
