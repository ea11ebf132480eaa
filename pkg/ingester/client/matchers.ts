import { LabelMatcher_Type } from '../../generated/prometheus/types.js';
import type { LabelMatcher } from '../../generated/prometheus/types.js';
import { MatchType, Matcher } from '../../model/labels/index.js';

const toProtoType: Record<MatchType, LabelMatcher_Type> = {
  [MatchType.Equal]: LabelMatcher_Type.EQ,
  [MatchType.NotEqual]: LabelMatcher_Type.NEQ,
  [MatchType.Regexp]: LabelMatcher_Type.RE,
  [MatchType.NotRegexp]: LabelMatcher_Type.NRE,
};

const fromProtoType = new Map<LabelMatcher_Type, MatchType>(
  Object.entries(toProtoType).map(([k, v]) => [v, k as MatchType]),
);

export function toProtoMatchers(ms: readonly Matcher[]): LabelMatcher[] {
  return ms.map((m) => ({ type: toProtoType[m.type], name: m.name, value: m.value }));
}

/** Rebuilds matchers from the wire; throws an Error naming the bad matcher (unknown type, invalid regexp). */
export function fromProtoMatchers(ms: readonly LabelMatcher[]): Matcher[] {
  return ms.map((m) => {
    const type = fromProtoType.get(m.type);
    if (type === undefined) throw new Error(`unknown matcher type ${m.type} for label ${JSON.stringify(m.name)}`);
    return new Matcher(type, m.name, m.value);
  });
}
