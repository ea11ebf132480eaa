/** Label matcher types, spelled as in PromQL. */
export const MatchType = { Equal: '=', NotEqual: '!=', Regexp: '=~', NotRegexp: '!~' } as const;
export type MatchType = (typeof MatchType)[keyof typeof MatchType];

/**
 * One label matcher with Prometheus semantics: regexes are RE2, fully anchored, and `.` matches
 * newlines; a missing label matches as the empty string.
 */
export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  readonly #re: RegExp | undefined;

  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    this.#re = type === MatchType.Regexp || type === MatchType.NotRegexp ? compileAnchored(value) : undefined;
  }

  matches(v: string): boolean {
    switch (this.type) {
      case MatchType.Equal:
        return v === this.value;
      case MatchType.NotEqual:
        return v !== this.value;
      case MatchType.Regexp:
        return (this.#re as RegExp).test(v);
      case MatchType.NotRegexp:
        return !(this.#re as RegExp).test(v);
    }
  }

  /** `name="value"` as PromQL prints it. */
  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

/** Compiles an RE2 pattern anchored at both ends. Throws a SyntaxError naming the pattern when invalid. */
function compileAnchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 's');
}
