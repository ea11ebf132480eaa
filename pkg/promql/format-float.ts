/**
 * Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64), the form Prometheus uses in its
 * HTTP API and printer: the shortest digits that round-trip, never in exponent notation.
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  // String(-0) is "0"; Go keeps the sign.
  if (Object.is(v, -0)) return '-0';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return neg ? '-' + out : out;
}
