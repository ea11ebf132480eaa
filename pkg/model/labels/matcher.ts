import { translateRE2 } from './re2.js';

/** Label matcher types, spelled as in PromQL. */
export const MatchType = { Equal: '=', NotEqual: '!=', Regexp: '=~', NotRegexp: '!~' } as const;
export type MatchType = (typeof MatchType)[keyof typeof MatchType];

/** How a regex is evaluated: the general RegExp, or a fast path equivalent to it. */
const Strategy = { RegExp: 0, Set: 1, Prefix: 2, Suffix: 3, Contains: 4, Any: 5, NonEmpty: 6 } as const;
type Strategy = (typeof Strategy)[keyof typeof Strategy];

/**
 * One label matcher with Prometheus semantics: regexes are RE2 (translated, see re2.ts), fully
 * anchored, and `.` matches newlines; a missing label matches as the empty string, so a matcher that
 * matches "" also selects series without the label.
 *
 * Regexes that are plain literals, alternations of literals, `lit.*`, `.*lit`, `.*lit.*`, `.*` or `.+`
 * are evaluated without a RegExp (Prometheus' FastRegexMatcher does the same).
 */
export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  readonly #strategy: Strategy;
  readonly #re: RegExp | undefined;
  readonly #set: ReadonlySet<string> | undefined;
  /** The literal of the prefix/suffix/contains fast paths. */
  readonly #lit: string;

  /** Throws a RegexpSyntaxError (code `invalid_regexp`) for patterns RE2 would refuse. */
  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    this.#re = undefined;
    this.#set = undefined;
    this.#lit = '';
    this.#strategy = Strategy.RegExp;
    if (type !== MatchType.Regexp && type !== MatchType.NotRegexp) return;
    const { source, flags } = translateRE2(value); // validates even when a fast path applies
    const fast = fastPath(value);
    if (fast !== undefined) {
      this.#strategy = fast.strategy;
      this.#set = fast.set;
      this.#lit = fast.lit;
    } else {
      this.#re = new RegExp(source, flags);
    }
  }

  matches(v: string): boolean {
    switch (this.type) {
      case MatchType.Equal:
        return v === this.value;
      case MatchType.NotEqual:
        return v !== this.value;
      case MatchType.Regexp:
        return this.#matchesRegexp(v);
      case MatchType.NotRegexp:
        return !this.#matchesRegexp(v);
    }
  }

  #matchesRegexp(v: string): boolean {
    switch (this.#strategy) {
      case Strategy.RegExp:
        return (this.#re as RegExp).test(v);
      case Strategy.Set:
        return (this.#set as ReadonlySet<string>).has(v);
      case Strategy.Prefix:
        return v.startsWith(this.#lit);
      case Strategy.Suffix:
        return v.endsWith(this.#lit);
      case Strategy.Contains:
        return v.includes(this.#lit);
      case Strategy.Any:
        return true;
      case Strategy.NonEmpty:
        return v !== '';
    }
  }

  /** Whether the matcher selects the empty value, i.e. also series that lack the label. */
  matchesEmpty(): boolean {
    return this.matches('');
  }

  /**
   * For `=` and for `=~` over a finite set of literals: the exact values it matches, so an index
   * can look them up instead of scanning every value. Undefined otherwise.
   */
  setMatches(): readonly string[] | undefined {
    if (this.type === MatchType.Equal) return [this.value];
    if (this.type === MatchType.Regexp && this.#strategy === Strategy.Set) return [...(this.#set as ReadonlySet<string>)];
    return undefined;
  }

  /** Label text as PromQL prints it: `name="value"`, with Go escaping of the value. */
  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

interface FastPath {
  strategy: Strategy;
  set: ReadonlySet<string> | undefined;
  lit: string;
}

/** Characters with a meaning in RE2 outside classes; escaped punctuation is literal. */
const META = new Set('\\.+*?()|[]{}^$'.split(''));

/** The literal a pattern stands for when it has no operators (escaped punctuation allowed). */
function literalOf(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined || /[0-9A-Za-z]/.test(n) || n.charCodeAt(0) >= 0x80) return undefined;
      out += n;
      i++;
    } else if (META.has(c)) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

function fastPath(p: string): FastPath | undefined {
  if (p === '.*') return { strategy: Strategy.Any, set: undefined, lit: '' };
  if (p === '.+') return { strategy: Strategy.NonEmpty, set: undefined, lit: '' };
  const alts = splitTopLevelAlternation(p);
  if (alts !== undefined) {
    const lits = alts.map(literalOf);
    if (lits.every((l) => l !== undefined)) return { strategy: Strategy.Set, set: new Set(lits as string[]), lit: '' };
  }
  const starts = p.startsWith('.*');
  const ends = p.endsWith('.*') && !p.endsWith('\\.*') && p.length >= 2;
  const inner = p.slice(starts ? 2 : 0, ends ? p.length - 2 : p.length);
  if ((!starts && !ends) || (starts && ends && p.length < 4)) return undefined;
  const lit = literalOf(inner);
  if (lit === undefined) return undefined;
  const strategy = starts && ends ? Strategy.Contains : starts ? Strategy.Suffix : Strategy.Prefix;
  return { strategy, set: undefined, lit };
}

/** Splits on `|` when the pattern has no groups or classes (else undefined). */
function splitTopLevelAlternation(p: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      cur += c + (p[i + 1] ?? '');
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (c === '(' || c === '[') {
      return undefined;
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}
