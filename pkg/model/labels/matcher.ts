import type { RE2 } from './re2.js';
import { compileRE2 } from './re2.js';
import { Strategy, literalAffixes, shortcutOf } from './regex-shortcuts.js';

/** Label matcher types, spelled as in PromQL. */
export const MatchType = { Equal: '=', NotEqual: '!=', Regexp: '=~', NotRegexp: '!~' } as const;
export type MatchType = (typeof MatchType)[keyof typeof MatchType];

/**
 * One label matcher with Prometheus semantics: regexes are RE2 in a linear-time engine (see re2.ts),
 * fully anchored, and `.` matches newlines; a missing label matches as the empty string, so a
 * matcher that matches "" also selects series without the label.
 *
 * Regexes that are plain literals, alternations of literals, `lit.*`, `.*lit`, `.*lit.*`, `.*` or `.+`
 * are evaluated without the engine, and other regexes check their literal prefix and suffix first
 * (see regex-shortcuts.ts; Prometheus' FastRegexMatcher does the same).
 */
export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  readonly #strategy: Strategy;
  readonly #re: RE2 | undefined;
  readonly #set: ReadonlySet<string> | undefined;
  /** The literal of the prefix/suffix/contains shortcuts. */
  readonly #lit: string;
  /** Literal text every value the engine matches starts and ends with. */
  readonly #prefix: string;
  readonly #suffix: string;

  /** Throws a RegexpSyntaxError (code `invalid_regexp`) for patterns RE2 would refuse. */
  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    this.#re = undefined;
    this.#set = undefined;
    this.#lit = '';
    this.#prefix = '';
    this.#suffix = '';
    this.#strategy = Strategy.Engine;
    if (type !== MatchType.Regexp && type !== MatchType.NotRegexp) return;
    const shortcut = shortcutOf(value); // only valid patterns have one
    if (shortcut !== undefined) {
      this.#strategy = shortcut.strategy;
      this.#set = shortcut.set;
      this.#lit = shortcut.lit;
      return;
    }
    this.#re = compileRE2(value);
    const { prefix, suffix } = literalAffixes(value);
    this.#prefix = prefix;
    this.#suffix = suffix;
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
      case Strategy.Engine:
        return v.startsWith(this.#prefix) && v.endsWith(this.#suffix) && (this.#re as RE2).testExact(v);
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
