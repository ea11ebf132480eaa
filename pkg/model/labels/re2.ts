/**
 * Translates RE2 syntax (what Prometheus accepts in `=~`/`!~`) into an equivalent JavaScript RegExp
 * source for the `u` flag. Node 20's RegExp lacks inline flags, `\z`, `\Q…\E`, POSIX classes and
 * `(?P<name>…)`, and accepts things RE2 refuses (backreferences, lookarounds), so the pattern is
 * rewritten token by token:
 *
 *   (?i) (?s) (?m) (?U), (?flags:…) and (?-flags)  → tracked per group; `i` becomes the JS `i` flag
 *                                   when it covers the whole pattern, otherwise each letter becomes
 *                                   its simple case-folding orbit (k → [kKK])
 *   .  → [\s\S] when `s` is set (Prometheus sets it), [^\n] otherwise
 *   ^ $ → start/end of text, or of line under `m`;   \A \z → start/end of text
 *   \Q…\E → escaped literal;  [[:alpha:]] → ASCII ranges;  \s → [\t\n\f\r ] (RE2's ASCII set)
 *   \pL, \p{Greek} → \p{L}, \p{Script=Greek};  \x{10FFFF} → \u{10FFFF};  \123 → octal
 *   (?P<n>…), (?<n>…), (…) → (?:…) (matchers never read captures), or with `captures` set
 *                                   (label_replace) → (?<n>…) and (…), numbered as in RE2
 *
 * Refused with an RE2-style message: backreferences, lookarounds, `(?P=n)`, unknown escapes,
 * repeats over 1000, doubled repetition operators (`a**`), unbalanced parentheses and brackets.
 */

export class RegexpSyntaxError extends SyntaxError {
  readonly code = 'invalid_regexp';
  /** What is wrong, in RE2's words (`missing closing )`), for callers that word their own errors. */
  readonly reason: string;
  constructor(pattern: string, why: string) {
    super(`invalid RE2 regexp ${JSON.stringify(pattern)}: ${why}`);
    this.name = 'RegexpSyntaxError';
    this.reason = why;
  }
}

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  U: boolean;
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
const CLASS_SPECIAL = new Set('\\]^-['.split(''));
const SPACE_CLASS = '\\t\\n\\f\\r ';

/** A JS source and flags equivalent to the RE2 pattern, fully anchored, `.` matching newlines. */
export function translateRE2(pattern: string, captures = false): { source: string; flags: string } {
  // First try treating case-insensitivity as the JS flag; this only holds when `i` is on for every
  // literal in the pattern, which the translator reports.
  const whole = new Translator(pattern, true, captures).run();
  if (whole.ok) return { source: `^(?:${whole.out})$`, flags: whole.usedI ? 'isu' : 'su' };
  const exact = new Translator(pattern, false, captures).run();
  return { source: `^(?:${exact.out})$`, flags: 'su' };
}

class Translator {
  readonly #p: string;
  /** Case-insensitivity is left to the JS `i` flag (valid only if every literal is under `i`). */
  readonly #globalI: boolean;
  /** Keep capturing groups (numbered and named) instead of making them non-capturing. */
  readonly #captures: boolean;
  #pos = 0;
  #out = '';
  #flags: Flags = { i: false, s: true, m: false, U: false };
  readonly #stack: Flags[] = [];
  #sawCaseSensitive = false;
  #sawCaseInsensitive = false;
  /** Whether the last token can take a repetition operator, and whether it already had one. */
  #canRepeat = false;
  #repeated = false;

  constructor(pattern: string, globalI: boolean, captures: boolean) {
    this.#p = pattern;
    this.#globalI = globalI;
    this.#captures = captures;
  }

  #fail(why: string): never {
    throw new RegexpSyntaxError(this.#p, why);
  }

  run(): { out: string; ok: boolean; usedI: boolean } {
    const p = this.#p;
    while (this.#pos < p.length) this.#token();
    if (this.#stack.length > 0) this.#fail('missing closing )');
    const ok = !this.#globalI || !(this.#sawCaseSensitive && this.#sawCaseInsensitive);
    return { out: this.#out, ok, usedI: this.#sawCaseInsensitive };
  }

  #atom(js: string): void {
    this.#out += js;
    this.#canRepeat = true;
    this.#repeated = false;
  }

  #assertion(js: string): void {
    this.#out += js;
    this.#canRepeat = false;
    this.#repeated = false;
  }

  #token(): void {
    const p = this.#p;
    const c = p[this.#pos];
    switch (c) {
      case '\\':
        this.#escape();
        return;
      case '(':
        this.#open();
        return;
      case ')':
        this.#pos++;
        if (this.#stack.length === 0) this.#fail('unexpected )');
        this.#flags = this.#stack.pop() as Flags;
        this.#atom(')');
        return;
      case '|':
        this.#pos++;
        this.#assertion('|');
        return;
      case '.':
        this.#pos++;
        this.#atom(this.#flags.s ? '[\\s\\S]' : '[^\\n]');
        return;
      case '^':
        this.#pos++;
        this.#assertion(this.#flags.m ? '(?<![^\\n])' : '^');
        return;
      case '$':
        this.#pos++;
        this.#assertion(this.#flags.m ? '(?![^\\n])' : '$');
        return;
      case '*':
      case '+':
      case '?':
        this.#pos++;
        this.#repeat(c);
        return;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.#pos));
        if (m === null) {
          this.#pos++;
          this.#literal('{');
          return;
        }
        this.#pos += m[0].length;
        const min = Number(m[1]);
        const max = m[3] === undefined || m[3] === '' ? min : Number(m[3]);
        if (min > 1000 || max > 1000 || (m[3] !== undefined && m[3] !== '' && max < min)) {
          this.#fail(`invalid repeat count ${m[0]}`);
        }
        this.#repeat(m[0]);
        return;
      }
      case '[':
        this.#class();
        return;
      default: {
        const cp = p.codePointAt(this.#pos) as number;
        const ch = String.fromCodePoint(cp);
        this.#pos += ch.length;
        this.#literal(ch);
      }
    }
  }

  #repeat(op: string): void {
    if (!this.#canRepeat) this.#fail(`missing argument to repetition operator: ${op}`);
    if (this.#repeated) this.#fail(`bad repetition operator: ${op}`);
    let lazy = false;
    if (this.#p[this.#pos] === '?') {
      this.#pos++;
      lazy = true;
    }
    if (this.#flags.U) lazy = !lazy;
    this.#out += lazy ? `${op}?` : op;
    this.#repeated = true;
  }

  #noteCase(ch: string): boolean {
    const folds = ch.toLowerCase() !== ch.toUpperCase();
    if (folds) {
      if (this.#flags.i) this.#sawCaseInsensitive = true;
      else this.#sawCaseSensitive = true;
    }
    return folds && this.#flags.i && !this.#globalI;
  }

  #literal(ch: string): void {
    if (this.#noteCase(ch)) {
      this.#atom(`[${caseVariants(ch).map(classChar).join('')}]`);
      return;
    }
    this.#atom(SYNTAX.has(ch) ? `\\${ch}` : ch);
  }

  #open(): void {
    const p = this.#p;
    this.#pos++;
    if (p[this.#pos] !== '?') {
      this.#stack.push({ ...this.#flags });
      this.#assertion(this.#captures ? '(' : '(?:');
      return;
    }
    const rest = p.slice(this.#pos + 1);
    const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
    if (named !== null) {
      this.#pos += 1 + named[0].length;
      this.#stack.push({ ...this.#flags });
      this.#assertion(this.#captures ? `(?<${named[1]}>` : '(?:');
      return;
    }
    if (/^(=|!|<=|<!)/.test(rest)) this.#fail('lookaround assertions are not supported');
    if (rest.startsWith('P=') || rest.startsWith('P>')) this.#fail('backreferences are not supported');
    const fl = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (fl === null || (fl[1] === '' && fl[2] === undefined && fl[3] === ')') || fl[2] === '') {
      this.#fail(`invalid or unsupported Perl syntax: (?${rest.slice(0, 3)}`);
    }
    this.#pos += 1 + fl[0].length;
    const next = { ...this.#flags };
    for (const f of fl[1]) next[f as keyof Flags] = true;
    for (const f of fl[2] ?? '') next[f as keyof Flags] = false;
    if (fl[3] === ')') {
      this.#flags = next;
      this.#canRepeat = false;
      this.#repeated = false;
      return;
    }
    this.#stack.push(this.#flags);
    this.#flags = next;
    this.#assertion('(?:');
  }

  #escape(): void {
    const p = this.#p;
    const c = p[this.#pos + 1];
    if (c === undefined) this.#fail('trailing backslash at end of expression');
    if (c === 'Q') {
      const end = p.indexOf('\\E', this.#pos + 2);
      const lit = p.slice(this.#pos + 2, end < 0 ? p.length : end);
      this.#pos = end < 0 ? p.length : end + 2;
      for (const ch of lit) this.#literal(ch);
      return;
    }
    if (c === 'E') {
      // A stray \E outside \Q is ignored by RE2.
      this.#pos += 2;
      return;
    }
    switch (c) {
      case 'A':
        this.#pos += 2;
        this.#assertion('(?<![\\s\\S])');
        return;
      case 'z':
        this.#pos += 2;
        this.#assertion('(?![\\s\\S])');
        return;
      case 'b':
      case 'B':
        this.#pos += 2;
        this.#assertion(`\\${c}`);
        return;
      case 'C':
        this.#fail('\\C is not supported');
    }
    const cls = this.#classEscape();
    if (cls !== undefined) {
      this.#atom(`[${cls}]`);
      return;
    }
    this.#literal(this.#charEscape());
  }

  /**
   * A class-valued escape at #pos (\d \D \w \W \s \S \p \P), as JS class content (a leading ^ negates);
   * undefined (position unchanged) when the escape is not one of those.
   */
  #classEscape(): string | undefined {
    const p = this.#p;
    const c = p[this.#pos + 1];
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        this.#pos += 2;
        return `\\${c}`;
      case 's':
        this.#pos += 2;
        return SPACE_CLASS;
      case 'S':
        this.#pos += 2;
        return `^${SPACE_CLASS}`;
      case 'p':
      case 'P': {
        let name: string;
        if (p[this.#pos + 2] === '{') {
          const end = p.indexOf('}', this.#pos + 3);
          if (end < 0) this.#fail('invalid character class range: missing }');
          name = p.slice(this.#pos + 3, end);
          this.#pos = end + 1;
        } else {
          name = p[this.#pos + 2] ?? '';
          this.#pos += 3;
        }
        let neg = c === 'P';
        if (name.startsWith('^')) {
          neg = !neg;
          name = name.slice(1);
        }
        if (!/^[A-Za-z_]+$/.test(name)) this.#fail(`invalid character class range: \\${c}{${name}}`);
        const prop = name === 'Any' ? 'Any' : name.length <= 2 ? name : `Script=${name}`;
        try {
          new RegExp(`\\p{${prop}}`, 'u');
        } catch {
          this.#fail(`invalid character class range: \\${c}{${name}}`);
        }
        return `\\${neg ? 'P' : 'p'}{${prop}}`;
      }
      default:
        return undefined;
    }
  }

  /** A single-character escape at #pos: returns the character it stands for. */
  #charEscape(): string {
    const p = this.#p;
    const c = p[this.#pos + 1];
    const simple: Record<string, string> = { a: '\x07', f: '\f', t: '\t', n: '\n', r: '\r', v: '\v' };
    if (c in simple) {
      this.#pos += 2;
      return simple[c];
    }
    if (c >= '0' && c <= '7') {
      const m = /^[0-7]{1,3}/.exec(p.slice(this.#pos + 1)) as RegExpExecArray;
      if (c !== '0' && m[0].length === 1) this.#fail(`backreferences are not supported: \\${c}`);
      this.#pos += 1 + m[0].length;
      return String.fromCodePoint(parseInt(m[0], 8));
    }
    if (c === '8' || c === '9') this.#fail(`backreferences are not supported: \\${c}`);
    if (c === 'x') {
      const m = /^x(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(p.slice(this.#pos + 1));
      if (m === null) this.#fail('invalid escape sequence: \\x');
      const cp = parseInt(m[1] ?? m[2], 16);
      if (cp > 0x10ffff) this.#fail('invalid escape sequence: \\x');
      this.#pos += 1 + m[0].length;
      return String.fromCodePoint(cp);
    }
    const code = c.charCodeAt(0);
    if (code < 0x80 && !/[0-9A-Za-z]/.test(c)) {
      this.#pos += 2;
      return c;
    }
    this.#fail(`invalid escape sequence: \\${c}`);
  }

  #class(): void {
    const p = this.#p;
    this.#pos++;
    let out = '';
    let neg = false;
    if (p[this.#pos] === '^') {
      neg = true;
      this.#pos++;
    }
    let first = true;
    for (;;) {
      if (this.#pos >= p.length) this.#fail('missing closing ]');
      const c = p[this.#pos];
      if (c === ']' && !first) {
        this.#pos++;
        break;
      }
      first = false;
      if (c === '[' && p[this.#pos + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(this.#pos));
        if (m !== null) {
          const set = POSIX[m[2]];
          if (set === undefined) this.#fail(`invalid character class range: ${m[0]}`);
          this.#pos += m[0].length;
          out += m[1] === '^' ? negatedAscii(set) : set;
          if (this.#flags.i && (m[2] === 'lower' || m[2] === 'upper')) out += 'A-Za-z';
          continue;
        }
      }
      if (c === '\\') {
        const cls = this.#classEscape();
        if (cls !== undefined) {
          out += cls.startsWith('^') ? negatedAscii(cls.slice(1)) : cls;
          continue;
        }
      }
      const lo = this.#classChar();
      if (p[this.#pos] === '-' && p[this.#pos + 1] !== ']' && this.#pos + 1 < p.length) {
        this.#pos++;
        const hi = this.#classChar();
        if ((hi.codePointAt(0) as number) < (lo.codePointAt(0) as number)) {
          this.#fail(`invalid character class range: ${lo}-${hi}`);
        }
        out += `${classChar(lo)}-${classChar(hi)}${this.#foldRange(lo, hi)}`;
      } else {
        out += classChar(lo) + this.#foldRange(lo, lo);
      }
    }
    this.#atom(`[${neg ? '^' : ''}${out}]`);
  }

  /** One literal member of a class at #pos. */
  #classChar(): string {
    const p = this.#p;
    if (p[this.#pos] === '\\') return this.#charEscape();
    const ch = String.fromCodePoint(p.codePointAt(this.#pos) as number);
    this.#pos += ch.length;
    return ch;
  }

  /** Extra class content adding the other case of the letters in [lo, hi] under a scoped `i`. */
  #foldRange(lo: string, hi: string): string {
    let extra = '';
    const a = lo.codePointAt(0) as number;
    const b = hi.codePointAt(0) as number;
    for (let cp = a; cp <= b && cp - a < 1024; cp++) {
      const ch = String.fromCodePoint(cp);
      if (this.#noteCase(ch)) extra += caseVariants(ch).map(classChar).join('');
    }
    return extra;
  }
}

/**
 * Simple case-folding partners that toLowerCase/toUpperCase do not reach (Unicode CaseFolding.txt),
 * keyed by the lowercase letter: Kelvin sign, long s, Angstrom sign, Greek symbol variants, …
 */
const EXTRA_FOLDS: Record<string, string> = {
  k: '\u212a',
  s: '\u017f',
  'å': '\u212b',
  'ß': '\u1e9e',
  'σ': 'ς',
  'θ': 'ϑϴ',
  'ι': '\u0345\u1fbe',
  'μ': 'µ',
  'β': 'ϐ',
  'ε': 'ϵ',
  'κ': 'ϰ',
  'π': 'ϖ',
  'ρ': 'ϱ',
  'φ': 'ϕ',
  'ω': '\u2126',
};

/**
 * The characters RE2's (?i) treats as equal to `ch` (its simple case-folding orbit): candidates from
 * toLowerCase/toUpperCase and EXTRA_FOLDS, kept when JavaScript's own `iu` matching (simple case
 * folding too) agrees.
 */
function caseVariants(ch: string): string[] {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  const candidates = new Set([ch, lower, upper, upper.toLowerCase(), lower.toUpperCase()]);
  for (const c of [...candidates]) for (const x of EXTRA_FOLDS[c.toLowerCase()] ?? '') candidates.add(x);
  const same = new RegExp(`^[${classChar(ch)}]$`, 'iu');
  return [...candidates].filter((c) => [...c].length === 1 && same.test(c));
}

function classChar(ch: string): string {
  if (CLASS_SPECIAL.has(ch)) return `\\${ch}`;
  if (ch === '\n') return '\\n';
  return ch;
}

/** Class content for the complement of an ASCII set given as class content. */
function negatedAscii(set: string): string {
  const re = new RegExp(`[${set}]`, 'u');
  let out = '';
  let start = -1;
  for (let cp = 0; cp <= 0x80; cp++) {
    const inSet = cp < 0x80 && re.test(String.fromCharCode(cp));
    if (!inSet && cp < 0x80 && start < 0) start = cp;
    if ((inSet || cp === 0x80) && start >= 0) {
      out += `\\u{${start.toString(16)}}-\\u{${(cp - 1).toString(16)}}`;
      start = -1;
    }
  }
  return `${out}\\u{80}-\\u{10ffff}`;
}
