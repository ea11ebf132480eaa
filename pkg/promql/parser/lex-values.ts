/** Literal values of PromQL source text: durations, numbers and quoted strings (Go semantics). */

const durationRe = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const unitMs = [365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1];
const unitNames = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** Parses a Prometheus duration (`1h30m`, `500ms`, `0`) to ms; null when `s` is not one. */
export function parseDurationMs(s: string): number | null {
  if (s === '0') return 0;
  if (s === '') return null;
  const m = durationRe.exec(s);
  if (m === null) return null;
  let ms = 0;
  for (let i = 0; i < unitMs.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * unitMs[i];
  return ms;
}

/** Prints ms as Prometheus' model.Duration does: `1h30m`, `5m`, `1d`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  for (let i = 0; i < unitMs.length; i++) {
    const n = Math.floor(rest / unitMs[i]);
    if (n > 0) {
      out += `${n}${unitNames[i]}`;
      rest -= n * unitMs[i];
    }
  }
  return out;
}

/**
 * Parses a number literal as Prometheus does: integers first (base prefixes 0x, 0o, 0b and a
 * leading 0 for octal), then floats with exponents, `Inf` and `NaN` in any case. Null if invalid.
 */
export function parseNumber(text: string): number | null {
  const s = text.replace(/_/g, '');
  const lower = s.toLowerCase();
  const unsigned = lower.replace(/^[+-]/, '');
  const neg = lower.startsWith('-');
  if (unsigned === 'inf' || unsigned === 'infinity') return neg ? -Infinity : Infinity;
  if (unsigned === 'nan') return NaN;
  let v: number;
  if (/^0x[0-9a-f]+$/.test(unsigned)) v = parseInt(unsigned.slice(2), 16);
  else if (/^0o[0-7]+$/.test(unsigned)) v = parseInt(unsigned.slice(2), 8);
  else if (/^0b[01]+$/.test(unsigned)) v = parseInt(unsigned.slice(2), 2);
  else if (/^0[0-7]+$/.test(unsigned)) v = parseInt(unsigned.slice(1), 8);
  else if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(unsigned)) v = Number(unsigned);
  else return null;
  return neg ? -v : v;
}

const simpleEscapes: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * Unquotes a PromQL string literal with Go's rules: `"..."` and `'...'` take escapes (`\n`, `\xHH`,
 * `\ooo`, `\uHHHH`, `\UHHHHHHHH`; each quote may escape only itself), backquotes are raw.
 * Byte escapes (\x, octal) are collected and decoded as UTF-8. Throws an Error with a message.
 */
export function unquoteString(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new Error('unterminated quoted string');
  const body = lit.slice(1, -1);
  if (q === '`') return body;
  if (q !== '"' && q !== "'") throw new Error('invalid quoted string');
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\n') throw new Error('unterminated quoted string');
    if (c !== '\\') {
      if (c === q) throw new Error('invalid syntax');
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error('invalid syntax');
    if (e in simpleEscapes) {
      flush();
      out += simpleEscapes[e];
    } else if (e === q) {
      flush();
      out += e;
    } else if (e === 'x') {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('invalid escape sequence');
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new Error('invalid escape sequence');
      bytes.push(parseInt(o, 8));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = body.slice(i + 1, i + 1 + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new Error('invalid escape sequence');
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new Error('invalid escape sequence');
      flush();
      out += String.fromCodePoint(cp);
      i += n;
    } else {
      throw new Error('unknown escape sequence');
    }
  }
  flush();
  return out;
}

/** Go's strconv.Quote for the printer: double quotes, escapes for control characters. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}
