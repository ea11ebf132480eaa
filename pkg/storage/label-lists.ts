import { compareUtf8 } from '../model/labels/index.js';

/** The first `limit` entries of a sorted list; all of them when `limit` is 0 (LabelHints.limit). */
export function limitLabels(sorted: string[], limit: number): string[] {
  return limit > 0 && sorted.length > limit ? sorted.slice(0, limit) : sorted;
}

/** Label names or values from several sources: distinct, in UTF-8 byte order, at most `limit`. */
export function mergeLabelLists(lists: readonly (readonly string[])[], limit: number): string[] {
  return limitLabels([...new Set(lists.flat())].sort(compareUtf8), limit);
}
