// The Querier acceptance suite (test helper, Thanos testStoreAPIsAcceptance style): every Querier
// implementation answers the same cases from the same data. Call it inside a `describe`; `open`
// stores `series` in a fresh instance of the implementation and returns its Queryable.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { Labels, Matcher, MatchType } from '../model/labels/index.js';
import { ValueType, type LabelHints, type Queryable, type SelectHints } from './interface.js';

export interface AcceptanceSeries {
  labels: Record<string, string>;
  /** [t, v], ascending t. */
  samples: [number, number][];
}

export interface OpenedQueryable {
  queryable: Queryable;
  /** Frees what `open` made (temp dirs, heads); run after the suite. */
  close?: () => Promise<void>;
}

const MINUTE = 60_000;
const every = (from: number, to: number, step: number, v: (t: number) => number): [number, number][] => {
  const out: [number, number][] = [];
  for (let t = from; t <= to; t += step) out.push([t, v(t)]);
  return out;
};

/** Four series over two hours, one of them ending early; a label (`env`) some series lack. */
export const acceptanceSeries: readonly AcceptanceSeries[] = [
  { labels: { __name__: 'up', job: 'api', instance: 'a:9090', env: 'prod' }, samples: every(0, 120 * MINUTE, 15_000, (t) => t / 1000) },
  { labels: { __name__: 'up', job: 'api', instance: 'b:9090' }, samples: every(0, 120 * MINUTE, 15_000, () => 1) },
  { labels: { __name__: 'up', job: 'db', instance: 'c:9090', env: 'dev' }, samples: every(0, 30 * MINUTE, 30_000, (t) => -1 - t / 1000) },
  { labels: { __name__: 'http_requests_total', job: 'api', code: '200' }, samples: every(5_000, 120 * MINUTE, 60_000, (t) => t / 60_000) },
];

const all = new Matcher(MatchType.Regexp, '__name__', '.+');
const noLimit: LabelHints = { limit: 0 };
const hints = (start: number, end: number): SelectHints => ({ start, end, step: 0, func: '', range: 0, sortSeries: true });

type Dump = Array<[string, [number, number][]]>;

export interface AcceptanceOptions {
  /**
   * Labels the implementation adds to a series of the data (tenant federation adds
   * `__tenant_id__`); the answers are expected with them.
   */
  addedLabels?: (series: AcceptanceSeries) => Record<string, string>;
}

const matching = (data: readonly AcceptanceSeries[], matchers: readonly Matcher[]) =>
  data.map((s) => Labels.fromRecord(s.labels)).filter((l) => matchers.every((m) => m.matches(l.get(m.name) ?? '')));

/** What `data` holds for `matchers` within [mint, maxt]: series sorted by labels, empty ones left out. */
function expected(data: readonly AcceptanceSeries[], mint: number, maxt: number, matchers: readonly Matcher[]): Dump {
  return data
    .map((s) => ({ labels: Labels.fromRecord(s.labels), samples: s.samples.filter(([t]) => t >= mint && t <= maxt) }))
    .filter((s) => s.samples.length > 0 && matchers.every((m) => m.matches(s.labels.get(m.name) ?? '')))
    .sort((a, b) => Labels.compare(a.labels, b.labels))
    .map((s) => [s.labels.toString(), s.samples]);
}

/** The distinct label names (or values of `name`) of the series of `data` that match, sorted. */
function expectedLabels(data: readonly AcceptanceSeries[], matchers: readonly Matcher[], name?: string): string[] {
  const out = new Set<string>();
  for (const l of matching(data, matchers)) {
    if (name === undefined) for (const n of Object.keys(l.toRecord())) out.add(n);
    else if (l.get(name) !== undefined) out.add(l.get(name) as string);
  }
  return [...out].sort();
}

export function querierAcceptance(open: (series: readonly AcceptanceSeries[]) => Promise<OpenedQueryable>, opts: AcceptanceOptions = {}): void {
  const data = acceptanceSeries.map((s) => ({ labels: { ...s.labels, ...opts.addedLabels?.(s) }, samples: s.samples }));
  const expectedOf = (mint: number, maxt: number, matchers: readonly Matcher[]) => expected(data, mint, maxt, matchers);
  let opened: Promise<OpenedQueryable> | undefined;
  const queryable = async () => (await (opened ??= open(acceptanceSeries))).queryable;
  after(async () => {
    if (opened !== undefined) await (await opened).close?.();
  });

  async function select(mint: number, maxt: number, ...matchers: Matcher[]): Promise<Dump> {
    const q = await (await queryable()).querier(mint, maxt);
    try {
      const set = q.select(hints(mint, maxt), ...matchers);
      const out: Dump = [];
      while (await set.next()) {
        const s = set.at();
        const samples: [number, number][] = [];
        const it = s.iterator();
        for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) samples.push([it.atT(), it.atV()]);
        assert.equal(it.err(), undefined);
        out.push([s.labels.toString(), samples]);
      }
      assert.equal(set.err(), undefined);
      return out;
    } finally {
      await q.close();
    }
  }

  it('select returns the matching series sorted by labels, with every sample in range', async () => {
    const m = new Matcher(MatchType.Equal, '__name__', 'up');
    assert.deepEqual(await select(0, 120 * MINUTE, m), expectedOf(0, 120 * MINUTE, [m]));
    assert.deepEqual(await select(0, 120 * MINUTE, all), expectedOf(0, 120 * MINUTE, [all]));
  });

  it('each matcher type filters, and `label=""` matches series without the label', async () => {
    const cases: Matcher[][] = [
      [new Matcher(MatchType.NotEqual, 'job', 'api')],
      [new Matcher(MatchType.Regexp, 'instance', '[ab]:.*')],
      [new Matcher(MatchType.NotRegexp, 'job', 'd.*'), new Matcher(MatchType.Equal, '__name__', 'up')],
      [new Matcher(MatchType.Equal, 'env', ''), all],
      [new Matcher(MatchType.NotEqual, 'env', ''), all],
    ];
    for (const ms of cases) assert.deepEqual(await select(0, 120 * MINUTE, ...ms), expectedOf(0, 120 * MINUTE, ms), ms.join(', '));
  });

  it('samples outside [mint, maxt] are left out, and so are series without any inside', async () => {
    const [mint, maxt] = [40 * MINUTE + 1, 50 * MINUTE - 1];
    const got = await select(mint, maxt, all);
    assert.deepEqual(got, expectedOf(mint, maxt, [all]));
    assert.ok(!got.some(([l]) => l.includes('job="db"')), 'the db series ended at 30m');
  });

  it('no match is an empty set without error', async () => {
    assert.deepEqual(await select(0, 120 * MINUTE, new Matcher(MatchType.Equal, '__name__', 'nope')), []);
  });

  it('an iterator seeks forward to the first sample at or after t', async () => {
    const q = await (await queryable()).querier(0, 120 * MINUTE);
    try {
      const set = q.select(hints(0, 120 * MINUTE), new Matcher(MatchType.Equal, 'instance', 'a:9090'));
      assert.ok(await set.next());
      const it = set.at().iterator();
      assert.equal(it.seek(10 * MINUTE + 1), ValueType.Float);
      assert.deepEqual([it.atT(), it.atV()], [10 * MINUTE + 15_000, 615]);
      assert.equal(it.seek(0), ValueType.Float, 'seek never moves backwards');
      assert.equal(it.atT(), 10 * MINUTE + 15_000);
      assert.equal(it.seek(121 * MINUTE), ValueType.None);
      assert.equal(await set.next(), false);
    } finally {
      await q.close();
    }
  });

  it('label names and values are sorted and distinct, restricted by matchers', async () => {
    const q = await (await queryable()).querier(0, 120 * MINUTE);
    try {
      const db = new Matcher(MatchType.Equal, 'job', 'db');
      const api = new Matcher(MatchType.Equal, 'job', 'api');
      assert.deepEqual(await q.labelNames(noLimit), expectedLabels(data, []));
      assert.deepEqual(await q.labelNames(noLimit, db), expectedLabels(data, [db]));
      assert.deepEqual(await q.labelValues('job', noLimit), ['api', 'db']);
      assert.deepEqual(await q.labelValues('instance', noLimit, api), ['a:9090', 'b:9090']);
      assert.deepEqual(await q.labelValues('nope', noLimit), []);
      // Without added labels, the data's own names (a check on expectedLabels itself).
      if (opts.addedLabels === undefined) assert.deepEqual(expectedLabels(data, [db]), ['__name__', 'env', 'instance', 'job']);
    } finally {
      await q.close();
    }
  });
}
