// The functions of Prometheus' alert templates: Go's builtins (comparison, and/or/not, len,
// index, print*) and Prometheus' own (humanize*, reReplaceAll, match, title, ...).
import { RE2JS } from 're2js';
import { GoInt, formatG, formatValue, goTimeString, sprintf } from './go-format.js';

export type TemplateFunc = (args: unknown[]) => unknown;

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

/** Go's url.QueryEscape: spaces as `+`, everything but unreserved characters escaped. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Prometheus' strutil.GraphLinkForExpression: the graph page of the expression. */
export function graphLink(expr: string): string {
  return `/graph?g0.expr=${goQueryEscape(expr)}&g0.tab=0`;
}

/** Prometheus' strutil.TableLinkForExpression: the table tab of the expression (alerts' generatorURL). */
export function tableLink(expr: string): string {
  return `/graph?g0.expr=${goQueryEscape(expr)}&g0.tab=1`;
}

/** Go's builtin slice over a string or a list: `slice x`, `slice x 1`, `slice x 1 2`. */
function goSlice(args: unknown[]): unknown {
  const [x, ...idx] = args;
  if (typeof x !== 'string' && !Array.isArray(x)) throw new TemplateExecError(`error calling slice: can't slice item of type ${typeof x}`);
  if (idx.length > 2) throw new TemplateExecError('error calling slice: too many slice indexes: ' + idx.length);
  const n = idx.map((i) => (i instanceof GoInt ? i.value : typeof i === 'number' && Number.isInteger(i) ? i : NaN));
  const [from = 0, to = x.length] = n;
  if (n.some((i) => Number.isNaN(i))) throw new TemplateExecError('error calling slice: cannot index slice/array with a non-integer');
  if (from < 0 || to > x.length || from > to) throw new TemplateExecError(`error calling slice: index out of range: ${from}:${to}`);
  return x.slice(from, to);
}

/** Go's truth: false, 0, nil and empty strings, maps and slices are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  if (v instanceof GoInt) return v.value !== 0;
  if (v instanceof Map) return v.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Prometheus' convertToFloat: numbers, and strings that parse as floats. */
function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoInt) return v.value;
  if (typeof v === 'string') {
    const t = v.trim();
    const n = /^[+-]?(inf|infinity)$/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(t) ? NaN : t === '' ? NaN : Number(t);
    if (Number.isNaN(n) && !/^nan$/i.test(t)) throw new TemplateExecError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  throw new TemplateExecError(`can't convert ${formatValue(v)} to float`);
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw new TemplateExecError(`wrong type for value; expected string; got ${typeof v} (in ${fn})`);
  return v;
}

function scale(v: number, prefixes: string[], base: number, down: boolean): string {
  let prefix = '';
  for (const p of prefixes) {
    if (down ? Math.abs(v) < base : Math.abs(v) >= 1) break;
    prefix = p;
    v = down ? v / base : v * 1000;
  }
  return formatG(v, 4) + prefix;
}

const bigPrefixes = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const smallPrefixes = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return formatG(v, 4);
  return Math.abs(v) >= 1 ? scale(v, bigPrefixes, 1000, true) : scale(v, smallPrefixes, 1000, false);
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return formatG(v, 4);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const whole = Math.trunc(v);
    const [d, h, m, s] = [Math.trunc(whole / 86400), Math.trunc(whole / 3600) % 24, Math.trunc(whole / 60) % 60, whole % 60];
    if (d !== 0) return `${sign}${d}d ${h}h ${m}m ${s}s`;
    if (h !== 0) return `${sign}${h}h ${m}m ${s}s`;
    if (m !== 0) return `${sign}${m}m ${s}s`;
    return `${sign}${formatG(v, 4)}s`;
  }
  return scale(v, smallPrefixes, 1000, false) + 's';
}

/** Go's basic kinds for eq/lt: an int and a float64 are not comparable (Go says so; so do we). */
function comparable(a: unknown, b: unknown, fn: string): [number | string | boolean, number | string | boolean] {
  const kind = (v: unknown): string => (v instanceof GoInt ? 'int' : typeof v);
  if (kind(a) !== kind(b)) throw new TemplateExecError(`error calling ${fn}: incompatible types for comparison`);
  const raw = (v: unknown): number | string | boolean => {
    if (v instanceof GoInt) return v.value;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    throw new TemplateExecError(`error calling ${fn}: invalid type for comparison`);
  };
  return [raw(a), raw(b)];
}

function arity(name: string, fn: (...a: unknown[]) => unknown, n: number): TemplateFunc {
  return (args) => {
    if (args.length !== n) throw new TemplateExecError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
    return fn(...args);
  };
}

function ordered(name: string, test: (a: number | string | boolean, b: number | string | boolean) => boolean): TemplateFunc {
  return arity(name, (a, b) => {
    const [x, y] = comparable(a, b, name);
    if (typeof x === 'boolean') throw new TemplateExecError(`error calling ${name}: invalid type for comparison`);
    return test(x, y);
  }, 2);
}

function regexp(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new TemplateExecError(`error parsing regexp: ${(err as Error).message}`);
  }
}

const unsupported = (name: string): TemplateFunc => () => {
  throw new TemplateExecError(`${name} is not supported in Myelin's alert templates`);
};

export const templateFuncs: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ['and', (args) => args.find((a) => !isTrue(a)) ?? args[args.length - 1]],
  ['or', (args) => args.find((a) => isTrue(a)) ?? args[args.length - 1]],
  ['not', arity('not', (a) => !isTrue(a), 1)],
  ['len', arity('len', (a) => {
    if (typeof a === 'string') return new GoInt(Buffer.byteLength(a));
    if (a instanceof Map) return new GoInt(a.size);
    if (Array.isArray(a)) return new GoInt(a.length);
    throw new TemplateExecError(`error calling len: len of type ${typeof a}`);
  }, 1)],
  ['index', (args) => {
    let v = args[0];
    for (const k of args.slice(1)) {
      if (v instanceof Map) v = v.get(str(k, 'index')) ?? '';
      else if (Array.isArray(v) && k instanceof GoInt) v = v[k.value];
      else throw new TemplateExecError(`error calling index: can't index item of type ${typeof v}`);
    }
    return v;
  }],
  ['print', (args) => args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + formatValue(a)).join('')],
  ['println', (args) => args.map(formatValue).join(' ') + '\n'],
  ['printf', (args) => sprintf(str(args[0], 'printf'), args.slice(1))],
  ['eq', (args) => {
    if (args.length < 2) throw new TemplateExecError('error calling eq: missing argument for comparison');
    return args.slice(1).some((b) => {
      const [x, y] = comparable(args[0], b, 'eq');
      return x === y;
    });
  }],
  ['ne', arity('ne', (a, b) => {
    const [x, y] = comparable(a, b, 'ne');
    return x !== y;
  }, 2)],
  ['lt', ordered('lt', (a, b) => a < b)],
  ['le', ordered('le', (a, b) => a <= b)],
  ['gt', ordered('gt', (a, b) => a > b)],
  ['ge', ordered('ge', (a, b) => a >= b)],
  ['html', (args) => args.map(formatValue).join('').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] ?? c)],
  ['urlquery', (args) => encodeURIComponent(args.map(formatValue).join('')).replace(/%20/g, '+')],
  ['humanize', arity('humanize', (v) => humanize(toFloat(v)), 1)],
  ['humanize1024', arity('humanize1024', (v) => {
    const f = toFloat(v);
    if (Math.abs(f) <= 1 || !Number.isFinite(f)) return formatG(f, 4);
    return scale(f, ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'], 1024, true);
  }, 1)],
  ['humanizeDuration', arity('humanizeDuration', (v) => humanizeDuration(toFloat(v)), 1)],
  ['humanizePercentage', arity('humanizePercentage', (v) => formatG(toFloat(v) * 100, 4) + '%', 1)],
  ['humanizeTimestamp', arity('humanizeTimestamp', (v) => {
    const f = toFloat(v);
    return Number.isFinite(f) ? goTimeString(new Date(Math.trunc(f * 1000))) : formatG(f, 4);
  }, 1)],
  ['toTime', arity('toTime', (v) => new Date(Math.trunc(toFloat(v) * 1000)), 1)],
  ['title', arity('title', (s) => str(s, 'title').replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase()), 1)],
  ['toUpper', arity('toUpper', (s) => str(s, 'toUpper').toUpperCase(), 1)],
  ['toLower', arity('toLower', (s) => str(s, 'toLower').toLowerCase(), 1)],
  ['match', arity('match', (p, s) => regexp(str(p, 'match')).matcher(str(s, 'match')).find(), 2)],
  ['reReplaceAll', arity('reReplaceAll', (p, r, s) => regexp(str(p, 'reReplaceAll')).matcher(str(s, 'reReplaceAll')).replaceAll(str(r, 'reReplaceAll')), 3)],
  ['stripPort', arity('stripPort', (s) => {
    const h = str(s, 'stripPort');
    const m = h.match(/^\[(.*)\](:\d*)?$/) ?? h.match(/^([^:]*):\d*$/);
    return m === null ? h : m[1];
  }, 1)],
  ['stripDomain', arity('stripDomain', (s) => {
    const h = str(s, 'stripDomain');
    const m = h.match(/^([^.:]+)(?:\.[^:]*)?(:\d+)?$/);
    return m === null || /^\d+$/.test(m[1]) ? h : m[1] + (m[2] ?? '');
  }, 1)],
  ['args', (args) => new Map(args.map((a, i) => [`arg${i}`, a]))],
  ['safeHtml', arity('safeHtml', (s) => str(s, 'safeHtml'), 1)],
  ['label', arity('label', (l, s) => (s instanceof Map ? (s.get('Labels') as Map<string, string>).get(str(l, 'label')) ?? '' : ''), 2)],
  ['value', arity('value', (s) => (s instanceof Map ? s.get('Value') : undefined), 1)],
  ['first', arity('first', (v) => {
    if (!Array.isArray(v) || v.length === 0) throw new TemplateExecError('first() called on vector with no elements');
    return v[0] as unknown;
  }, 1)],
  ['query', unsupported('query')],
  ['sortByLabel', unsupported('sortByLabel')],
  ['strvalue', unsupported('strvalue')],
  ['graphLink', arity('graphLink', (e) => graphLink(str(e, 'graphLink')), 1)],
  ['tableLink', arity('tableLink', (e) => tableLink(str(e, 'tableLink')), 1)],
  ['slice', (args) => goSlice(args)],
  ['pathPrefix', () => ''],
  ['externalURL', () => ''],
]);
