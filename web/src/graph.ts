// The range graph: one uPlot line per series of a matrix, on the union of their timestamps (a range
// query answers on one step grid, so that union is the grid); gaps stay gaps.
import uPlot from 'uplot';
import type { Metric, Sample } from './api.js';
import { seriesName } from './api.js';

export interface RangeSeries {
  metric: Metric;
  values: Sample[];
}

/** The data uPlot takes: x (seconds) first, then one row of values per series. */
export function alignSeries(series: RangeSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.values.map(([t]) => t)))].sort((a, b) => a - b);
  const col = new Map(xs.map((t, i) => [t, i]));
  const rows = series.map((s) => {
    const row: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const [t, v] of s.values) row[col.get(t) ?? 0] = parseValue(v);
    return row;
  });
  return [xs, ...rows];
}

/** Prometheus writes NaN and the infinities as strings; uPlot draws only finite numbers. */
function parseValue(v: string): number | null {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A distinct, readable colour per series (golden-angle hues). */
function colour(i: number): string {
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, 45%)`;
}

/** Draws `series` into `container` (emptied first) and returns the plot, to destroy on the next draw. */
export function drawGraph(container: HTMLElement, series: RangeSeries[]): uPlot {
  container.replaceChildren();
  container.dataset.series = String(series.length);
  const width = Math.max(300, container.clientWidth);
  const opts: uPlot.Options = {
    width,
    height: 360,
    series: [{}, ...series.map((s, i) => ({ label: seriesName(s.metric), stroke: colour(i), width: 1.5, spanGaps: false }))],
    axes: [{}, { size: 70 }],
    scales: { x: { time: true } },
    legend: { live: true },
  };
  return new uPlot(opts, alignSeries(series), container);
}
