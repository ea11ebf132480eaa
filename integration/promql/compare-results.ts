// Comparing the JSON of two Prometheus HTTP API answers (Myelin's and Prometheus'): the same
// status and error type, the same series (by label set), the same timestamps, and values equal
// within 1e-6 relative (summation order differs between engines).
import assert from 'node:assert/strict';

export type Json = Record<string, unknown>;

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-9;
}

/** Series keyed by their label set, values as [t, number]. */
function normalise(body: Json): { type: string; series: Map<string, Array<[number, number]>> } {
  const data = body.data as { resultType: string; result: unknown };
  const series = new Map<string, Array<[number, number]>>();
  if (data.resultType === 'scalar') {
    const [t, v] = data.result as [number, string];
    series.set('scalar', [[t, parseValue(v)]]);
  } else {
    for (const r of data.result as Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }>) {
      const key = JSON.stringify(Object.entries(r.metric).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const points = r.values ?? [r.value as [number, string]];
      series.set(key, points.map(([t, v]) => [t, parseValue(v)]));
    }
  }
  return { type: data.resultType, series };
}

export function assertSameResult(name: string, mine: Json, theirs: Json): void {
  assert.equal(mine.status, theirs.status, `${name}: status ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}`);
  if (theirs.status !== 'success') {
    assert.equal(mine.errorType, theirs.errorType, name);
    return;
  }
  const a = normalise(mine);
  const b = normalise(theirs);
  assert.equal(a.type, b.type, name);
  assert.deepEqual([...a.series.keys()].sort(), [...b.series.keys()].sort(), `${name}: series differ`);
  for (const [key, pa] of a.series) {
    const pb = b.series.get(key) as Array<[number, number]>;
    assert.deepEqual(
      pa.map(([t]) => t),
      pb.map(([t]) => t),
      `${name}: timestamps of ${key} differ`,
    );
    for (let i = 0; i < pa.length; i++) {
      assert.ok(close(pa[i][1], pb[i][1]), `${name}: ${key} at ${pa[i][0]}: myelin ${pa[i][1]}, prometheus ${pb[i][1]}`);
    }
  }
}
