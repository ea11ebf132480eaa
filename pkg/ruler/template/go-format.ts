// Go's fmt for the values a template holds: %v of floats (shortest, exponent from e+06 on) and
// printf's common verbs, so that `{{ $value }}` and `{{ printf "%.2f" $value }}` read as in Prometheus.

/** A Go int (a template's integer literal or len's result); a plain JS number is a float64. */
export class GoInt {
  constructor(readonly value: number) {}
}

/** Labels and other Go maps: printed and ranged over in key order. */
export type GoMap = Map<string, unknown>;

/** Go's %e exponent: a sign and at least two digits (`e+06`). */
function goExponent(exp: number): string {
  const abs = Math.abs(exp);
  return `e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

/** %v of a float64: strconv's shortest 'g', in %e form when the exponent is < -4 or >= 6 (`1e+06`). */
export function formatFloat(v: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, e] = v.toExponential().split('e');
  const exp = Number(e);
  return exp < -4 || exp >= 6 ? mant + goExponent(exp) : String(v);
}

/** %.<prec>g: at most `prec` significant digits, trailing zeros dropped, %e form outside [-4, prec). */
export function formatG(v: number, prec: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  if (prec === 0) prec = 1;
  if (v === 0) return '0';
  const [mant, e] = halfEven(v, v.toExponential(prec - 1)).split('e');
  const exp = Number(e);
  const trimmed = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  if (exp < -4 || exp >= prec) return trimmed + goExponent(exp);
  const fixed = halfEven(v, v.toFixed(Math.max(0, prec - 1 - exp)));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** How `{{ x }}` and %v print a value. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloat(v);
  if (v instanceof GoInt) return String(v.value);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Map) return `map[${[...v.keys()].sort().map((k) => `${k}:${formatValue(v.get(k))}`).join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (v instanceof Date) return goTimeString(v);
  return String(v);
}

/** Go's time.Time.String() in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function goTimeString(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '' ? '' : '.' + frac} +0000 UTC`;
}

function goTypeName(v: unknown): string {
  if (typeof v === 'number') return 'float64';
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Map) return 'map[string]string';
  return 'interface {}';
}

/** Go's Sprintf for %v %s %d %f %g %e %q %x %t %%, with flags `-`, `0`, `+`, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let n = 0;
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags, width, precText, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (n >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const prec = precText === undefined ? undefined : precText === '' ? 0 : Number(precText);
    const arg = args[n++];
    let s = formatVerb(verb, arg, prec, flags.includes('+'));
    const w = width === undefined ? 0 : Number(width);
    if (s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && verb !== 's' && verb !== 'q') s = s.startsWith('-') ? '-' + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
      else s = s.padStart(w);
    }
    out += s;
  }
  out += format.slice(last);
  if (n < args.length) out += `%!(EXTRA ${args.slice(n).map((a) => `${goTypeName(a)}=${formatValue(a)}`).join(', ')})`;
  return out;
}

function formatVerb(verb: string, arg: unknown, prec: number | undefined, plus: boolean): string {
  const bad = (): string => `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
  const signed = (s: string, x: number): string => (plus && x >= 0 ? '+' + s : s);
  switch (verb) {
    case 'v': return formatValue(arg);
    case 's': return typeof arg === 'string' ? (prec === undefined ? arg : arg.slice(0, prec)) : typeof arg === 'number' || arg instanceof GoInt ? bad() : formatValue(arg);
    case 'q': return typeof arg === 'string' ? JSON.stringify(arg) : bad();
    case 't': return typeof arg === 'boolean' ? String(arg) : bad();
    case 'd': return arg instanceof GoInt ? signed(String(arg.value), arg.value) : bad();
    case 'x': return arg instanceof GoInt ? arg.value.toString(16) : typeof arg === 'string' ? Buffer.from(arg).toString('hex') : bad();
    case 'f': case 'F':
      if (typeof arg !== 'number') return bad();
      return signed(special(arg) ?? halfEven(arg, arg.toFixed(prec ?? 6)), arg);
    case 'e':
      if (typeof arg !== 'number') return bad();
      return signed(special(arg) ?? expForm(arg, prec ?? 6), arg);
    case 'g':
      if (typeof arg !== 'number') return bad();
      return signed(prec === undefined ? formatFloat(arg) : formatG(arg, prec), arg);
    default: return bad();
  }
}

function expForm(v: number, prec: number): string {
  const [mant, e] = halfEven(v, v.toExponential(prec)).split('e');
  return mant + goExponent(Number(e));
}

/**
 * JS's toFixed/toExponential round an exact tie away from zero; Go rounds it to even. `s` is what
 * JS printed for |v|'s digits: when |v| lies exactly halfway below it, the even neighbour wins.
 */
function halfEven(v: number, s: string): string {
  const m = s.match(/^(-?)(\d+)(?:\.(\d+))?(e[+-]\d+)?$/);
  if (m === null) return s;
  const [, sign, int, frac = '', exp = ''] = m;
  const digits = int + frac;
  if (Number(digits[digits.length - 1]) % 2 === 0) return s;
  const scale = (exp === '' ? 0 : Number(exp.slice(1))) - frac.length;
  const lower = BigInt(digits) - 1n;
  if (!exactlyEquals(Math.abs(v), lower * 10n + 5n, scale - 1)) return s;
  const l = lower.toString().padStart(digits.length, '0');
  let intPart = l.slice(0, int.length);
  if (intPart.length > 1 && intPart.startsWith('0')) intPart = intPart.slice(1);
  return `${sign}${intPart}${frac === '' ? '' : '.' + l.slice(int.length)}${exp}`;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Whether the double `v` >= 0 is exactly `mant` × 10^`e`. */
function exactlyEquals(v: number, mant: bigint, e: number): boolean {
  f64[0] = v;
  const hi = u32[1];
  const biased = (hi >>> 20) & 0x7ff;
  let sig = (BigInt(hi & 0xfffff) << 32n) | BigInt(u32[0]);
  if (biased !== 0) sig |= 1n << 52n;
  const k = (biased === 0 ? 1 : biased) - 1075;
  let a = sig;
  let b = mant;
  if (k >= 0) a <<= BigInt(k);
  else b <<= BigInt(-k);
  if (e >= 0) b *= 10n ** BigInt(e);
  else a *= 10n ** BigInt(-e);
  return a === b;
}
