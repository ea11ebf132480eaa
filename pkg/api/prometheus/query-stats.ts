/**
 * The `stats` member a query answer carries when asked (`stats=<any non-empty value>`), shaped as
 * Prometheus' util/stats BuiltinStats: timings in seconds, the samples read (totalQueryableSamples)
 * and the most held at once (peakSamples); with `stats=all`, the samples read per step as
 * `[unix seconds, count]` pairs. The query-frontend merges the stats of a split query's parts.
 */
import type { QueryStats } from '../../promql/index.js';

export interface QueryStatsJson {
  timings: {
    evalTotalTime: number;
    resultSortTime: number;
    queryPreparationTime: number;
    innerEvalTime: number;
    execQueueTime: number;
    execTotalTime: number;
  };
  samples: {
    totalQueryableSamplesPerStep?: [number, number][];
    totalQueryableSamples: number;
    peakSamples: number;
  };
}

/** The engine's stats of a query whose steps are `start + i * step` (ms; an instant query has one step, at its time). */
export function queryStatsJson(s: QueryStats, start: number, step: number): QueryStatsJson {
  const t = s.timings;
  const out: QueryStatsJson = {
    timings: {
      evalTotalTime: t.evalTotal, resultSortTime: t.resultSort, queryPreparationTime: t.queryPreparation,
      innerEvalTime: t.innerEval, execQueueTime: t.execQueue, execTotalTime: t.execTotal,
    },
    samples: { totalQueryableSamples: s.samplesRead, peakSamples: s.peakSamples },
  };
  const perStep = s.samplesReadPerStep;
  if (perStep !== null && perStep.length > 0) {
    const steps: [number, number][] = [];
    for (let i = 0; i < perStep.length; i++) steps.push([(start + i * step) / 1000, perStep[i]]);
    // Prometheus' field order: the per-step counts come first.
    out.samples = { totalQueryableSamplesPerStep: steps, ...out.samples };
  }
  return out;
}

/**
 * The stats of a query answered in parts over consecutive time ranges (given in time order):
 * samples and timings summed (the work all parts did, as one querier would report it for the
 * whole range), per-step counts concatenated, and the peak the largest of any part (each part is
 * held on its own).
 */
export function mergeQueryStats(parts: readonly QueryStatsJson[]): QueryStatsJson {
  const out: QueryStatsJson = {
    timings: { evalTotalTime: 0, resultSortTime: 0, queryPreparationTime: 0, innerEvalTime: 0, execQueueTime: 0, execTotalTime: 0 },
    samples: { totalQueryableSamples: 0, peakSamples: 0 },
  };
  const steps: [number, number][] = [];
  let perStep = false;
  for (const p of parts) {
    for (const k of Object.keys(out.timings) as (keyof QueryStatsJson['timings'])[]) out.timings[k] += p.timings?.[k] ?? 0;
    out.samples.totalQueryableSamples += p.samples?.totalQueryableSamples ?? 0;
    out.samples.peakSamples = Math.max(out.samples.peakSamples, p.samples?.peakSamples ?? 0);
    const ps = p.samples?.totalQueryableSamplesPerStep;
    if (ps === undefined) continue;
    perStep = true;
    for (const s of ps) if (steps.length === 0 || s[0] > steps[steps.length - 1][0]) steps.push(s);
  }
  if (perStep && steps.length > 0) out.samples = { totalQueryableSamplesPerStep: steps, ...out.samples };
  return out;
}
