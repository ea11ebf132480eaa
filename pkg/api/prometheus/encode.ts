/** JSON shapes of Prometheus' HTTP API: values, numbers as strings, times as float seconds. */
import type { Labels } from '../../model/labels/index.js';
import type { QueryValue } from '../../promql/index.js';
import { formatFloat } from '../../promql/index.js';

type Point = [number, string];

function point(t: number, v: number): Point {
  return [t / 1000, formatFloat(v)];
}

export function labelsJson(ls: Labels): Record<string, string> {
  return ls.toRecord();
}

export function encodeValue(v: QueryValue): { resultType: string; result: unknown } {
  switch (v.type) {
    case 'scalar':
      return { resultType: 'scalar', result: point(v.scalar.t, v.scalar.v) };
    case 'string':
      return { resultType: 'string', result: [v.t / 1000, v.string] };
    case 'vector':
      return {
        resultType: 'vector',
        result: v.vector.map((s) => ({ metric: labelsJson(s.metric), value: point(s.t, s.f) })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: v.matrix.map((s) => ({ metric: labelsJson(s.metric), values: s.ts.map((t, i) => point(t, s.fs[i])) })),
      };
  }
}
