// What an ingester stored of a Push it refused in part, carried in the error's trailing metadata:
// a refusal (out of order, series limit) skips the refused samples and stores the rest, and the
// distributor needs the count for remote write 2.0's X-Prometheus-Remote-Write-*-Written headers.
import { Metadata } from '@grpc/grpc-js';

/** Counts by kind, as remote write 2.0's response headers have them. */
export interface WrittenCounts {
  samples: number;
  histograms: number;
  exemplars: number;
}

const keys = { samples: 'myelin-samples-written', histograms: 'myelin-histograms-written', exemplars: 'myelin-exemplars-written' } as const;

/** The trailers of a Push error that stored `w`. */
export function writtenTrailers(w: WrittenCounts): Metadata {
  const md = new Metadata();
  for (const kind of ['samples', 'histograms', 'exemplars'] as const) md.set(keys[kind], String(w[kind]));
  return md;
}

/** What a failed Push stored, from its trailers; undefined when they do not say (an older ingester, a failure before any append). */
export function writtenFromTrailers(md: Metadata | undefined): WrittenCounts | undefined {
  if (md === undefined) return undefined;
  const count = (kind: keyof WrittenCounts): number => {
    const v = Number(md.get(keys[kind])[0]);
    return Number.isSafeInteger(v) && v >= 0 ? v : NaN;
  };
  const w = { samples: count('samples'), histograms: count('histograms'), exemplars: count('exemplars') };
  return Number.isNaN(w.samples + w.histograms + w.exemplars) ? undefined : w;
}
