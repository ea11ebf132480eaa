// Conversions between the prometheus.Label / prometheus.LabelMatcher wire messages (ingester and
// store-gateway APIs alike) and the model types.
import type { Label, LabelMatcher } from '../generated/prometheus/types.js';
import { LabelMatcher_Type } from '../generated/prometheus/types.js';
import { Labels, Matcher, MatchType } from '../model/labels/index.js';

const toWire = {
  [MatchType.Equal]: LabelMatcher_Type.EQ,
  [MatchType.NotEqual]: LabelMatcher_Type.NEQ,
  [MatchType.Regexp]: LabelMatcher_Type.RE,
  [MatchType.NotRegexp]: LabelMatcher_Type.NRE,
} as const;

export function matchersToWire(ms: readonly Matcher[]): LabelMatcher[] {
  return ms.map((m) => ({ type: toWire[m.type], name: m.name, value: m.value }));
}

/** Throws (with the matcher named) on an unknown type or an invalid regular expression. */
export function matchersFromWire(ms: readonly LabelMatcher[]): Matcher[] {
  return ms.map((m) => {
    switch (m.type) {
      case LabelMatcher_Type.EQ:
        return new Matcher(MatchType.Equal, m.name, m.value);
      case LabelMatcher_Type.NEQ:
        return new Matcher(MatchType.NotEqual, m.name, m.value);
      case LabelMatcher_Type.RE:
        return new Matcher(MatchType.Regexp, m.name, m.value);
      case LabelMatcher_Type.NRE:
        return new Matcher(MatchType.NotRegexp, m.name, m.value);
      default:
        throw new Error(`unknown matcher type ${String(m.type)} for label ${JSON.stringify(m.name)}`);
    }
  });
}

export function labelsToWire(ls: Labels): Label[] {
  const out: Label[] = [];
  ls.forEach((name, value) => out.push({ name, value }));
  return out;
}

export function labelsFromWire(ls: readonly Label[]): Labels {
  const pairs: string[] = new Array(ls.length * 2);
  for (let i = 0; i < ls.length; i++) {
    pairs[2 * i] = ls[i].name;
    pairs[2 * i + 1] = ls[i].value;
  }
  return Labels.fromPairs(pairs);
}
