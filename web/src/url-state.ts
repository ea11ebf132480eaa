// What the URL holds, so a link shows the same query: expression, tab, range, end time, step and
// tenant. Durations are written as PromQL writes them (5m, 1h30m, 2d).

export type Tab = 'table' | 'graph' | 'cardinality';

export const tabs: readonly Tab[] = ['graph', 'table', 'cardinality'];

export interface ViewState {
  expr: string;
  tab: Tab;
  /** A duration such as `1h`. */
  range: string;
  /** An RFC 3339 time, or '' for now. */
  end: string;
  /** A duration, or '' for one chosen from the range. */
  step: string;
  /** '' when the URL names none (the remembered choice applies). */
  tenant: string;
}

export const defaultRange = '1h';

export function readState(search: string): ViewState {
  const q = new URLSearchParams(search);
  return {
    expr: q.get('expr') ?? '',
    tab: tabs.find((t) => t === q.get('tab')) ?? 'graph',
    range: q.get('range') ?? defaultRange,
    end: q.get('end') ?? '',
    step: q.get('step') ?? '',
    tenant: q.get('tenant') ?? '',
  };
}

export function writeState(s: ViewState): string {
  const q = new URLSearchParams();
  if (s.expr !== '') q.set('expr', s.expr);
  q.set('tab', s.tab);
  if (s.tab === 'graph') {
    q.set('range', s.range);
    if (s.end !== '') q.set('end', s.end);
    if (s.step !== '') q.set('step', s.step);
  }
  if (s.tenant !== '') q.set('tenant', s.tenant);
  return `?${q.toString()}`;
}

const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a PromQL duration (`1h30m`, `90s`), or a plain number of seconds; throws naming the input. */
export function parseDuration(s: string): number {
  const text = s.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+)(ms|[smhdwy])/g)];
  if (text === '' || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${JSON.stringify(s)} (e.g. 30m, 1h, 2d)`);
  const total = parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
  if (total <= 0) throw new Error(`duration must be positive: ${JSON.stringify(s)}`);
  return total;
}

/** An end time the user typed: RFC 3339 or Unix seconds; '' is now. Throws naming the input. */
export function parseEnd(s: string, now: Date): Date {
  const text = s.trim();
  if (text === '') return now;
  const d = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`not a time: ${JSON.stringify(s)} (RFC 3339, e.g. 2026-01-02T15:04:05Z, or Unix seconds)`);
  return d;
}

/** About 250 points across the range, at least one second apart (Prometheus's UI does the same). */
export function autoStep(rangeSeconds: number): number {
  return Math.max(1, Math.round(rangeSeconds / 250));
}
