/** label_replace, label_join and sort_by_label. */
import type { RE2 } from '../model/labels/index.js';
import { Labels, LabelsBuilder, MetricName, compileRE2 } from '../model/labels/index.js';
import type { Sample, Vector } from './value.js';
import { executionError } from './value.js';

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkDst(fn: string, dst: string): void {
  if (!labelNameRe.test(dst)) throw executionError(`invalid destination label name in ${fn}(): ${dst}`);
}

type StepFn = (vecs: Vector[]) => Vector;

/** A match's groups by number or name; '' for groups that do not exist or did not match. */
type Groups = (name: string) => string;

export function groupsOf(re: RE2, m: ReturnType<RE2['matcher']>): Groups {
  const named = re.namedGroups();
  const count = m.groupCount();
  return (name) => {
    if (/^\d+$/.test(name)) return Number(name) <= count ? (m.group(Number(name)) ?? '') : '';
    return Object.hasOwn(named, name) ? (m.group(name) ?? '') : '';
  };
}

export function labelReplace(dst: string, repl: string, src: string, pattern: string): StepFn {
  let re: RE2;
  try {
    re = compileRE2(pattern);
  } catch (err) {
    throw executionError(`invalid regular expression in label_replace(): ${pattern}`, err);
  }
  checkDst('label_replace', dst);
  const cache = new Map<Labels, Labels>();
  return (vecs) =>
    vecs[0].map((s) => {
      let metric = cache.get(s.metric);
      if (metric === undefined) {
        const m = re.matcher(s.metric.get(src));
        metric = m.matches() ? new LabelsBuilder(s.metric).set(dst, expandTemplate(repl, groupsOf(re, m))).labels() : s.metric;
        cache.set(s.metric, metric);
      }
      return relabelled(s, metric, s.dropName && !(dst === MetricName && metric !== s.metric));
    });
}

export function labelJoin(dst: string, sep: string, srcs: string[]): StepFn {
  checkDst('label_join', dst);
  for (const s of srcs) {
    if (!labelNameRe.test(s)) throw executionError(`invalid source label name in label_join(): ${s}`);
  }
  return (vecs) =>
    vecs[0].map((s) => {
      const value = srcs.map((n) => s.metric.get(n)).join(sep);
      const metric = new LabelsBuilder(s.metric).set(dst, value).labels();
      return relabelled(s, metric, s.dropName && dst !== MetricName);
    });
}

/**
 * Go regexp template expansion: `$1`, `${1}`, `$name`, `${name}`; `$$` is a literal `$`. The name
 * after a bare `$` is the longest run of letters, digits and underscores (`$1x` is group "1x").
 */
export function expandTemplate(tpl: string, group: Groups): string {
  let out = '';
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i];
    if (c !== '$' || i + 1 >= tpl.length) {
      out += c;
      continue;
    }
    if (tpl[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (tpl[i + 1] === '{') {
      const close = tpl.indexOf('}', i + 2);
      name = close < 0 ? '' : tpl.slice(i + 2, close);
      if (close < 0 || !/^\w+$/.test(name)) {
        out += c;
        continue;
      }
      end = close;
    } else {
      const mm = /^\w+/.exec(tpl.slice(i + 1));
      if (mm === null) {
        out += c;
        continue;
      }
      name = mm[0];
      end = i + name.length;
    }
    out += group(name);
    i = end;
  }
  return out;
}

/** sort_by_label(_desc): natural order of the named labels, then the full label sets. */
export function sortByLabel(v: Vector, names: string[], desc: boolean): Vector {
  const out = v.slice();
  out.sort((a, b) => {
    for (const n of names) {
      const c = naturalCompare(a.metric.get(n), b.metric.get(n));
      if (c !== 0) return desc ? -c : c;
    }
    const c = Labels.compare(a.metric, b.metric);
    return desc ? -c : c;
  });
  return out;
}

/** Natural string order: runs of digits compare by numeric value. */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i];
    const cb = b[j];
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a[ei])) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b[ej])) ej++;
      const na = a.slice(i, ei).replace(/^0+/, '');
      const nb = b.slice(j, ej).replace(/^0+/, '');
      if (na.length !== nb.length) return na.length - nb.length;
      if (na !== nb) return na < nb ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca < cb ? -1 : 1;
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** The sample (float or histogram) under new labels. */
function relabelled(s: Sample, metric: Labels, dropName: boolean): Sample {
  const out: Sample = { metric, t: s.t, f: s.f, dropName };
  if (s.h !== undefined) out.h = s.h;
  return out;
}
