/**
 * What a regex matcher can check without the regex engine, read off the pattern text as
 * Prometheus' FastRegexMatcher does: patterns that are literals or alternations of literals (a set),
 * `lit.*`, `.*lit`, `.*lit.*`, `.*` and `.+` need no engine at all; for the rest, the literal text
 * every match must start or end with rejects most values before the engine runs.
 */

/** How a regex is evaluated: the engine, or a check equivalent to it. */
export const Strategy = { Engine: 0, Set: 1, Prefix: 2, Suffix: 3, Contains: 4, Any: 5, NonEmpty: 6 } as const;
export type Strategy = (typeof Strategy)[keyof typeof Strategy];

export interface Shortcut {
  strategy: Strategy;
  /** The values of Strategy.Set. */
  set: ReadonlySet<string> | undefined;
  /** The literal of Prefix/Suffix/Contains. */
  lit: string;
}

/** Characters with a meaning in RE2 outside classes; escaped punctuation is literal. */
const META = new Set('\\.+*?()|[]{}^$'.split(''));

/** The character `\c` stands for when it is escaped punctuation (RE2 allows any), else undefined. */
function escapedLiteral(c: string | undefined): string | undefined {
  if (c === undefined || c.charCodeAt(0) >= 0x80 || /[0-9A-Za-z]/.test(c)) return undefined;
  return c;
}

/** The literal a pattern stands for when it has no operators (escaped punctuation allowed). */
function literalOf(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const lit = escapedLiteral(s[i + 1]);
      if (lit === undefined) return undefined;
      out += lit;
      i++;
    } else if (META.has(c)) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * A check equivalent to the (valid) pattern, or undefined when it needs the engine. Every pattern
 * this accepts is valid RE2, so the caller need not compile it.
 */
export function shortcutOf(p: string): Shortcut | undefined {
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

/**
 * The literal text every full match of the (valid) pattern starts with and ends with ('' when
 * none is known). Only plain and escaped-punctuation characters outside groups count; any
 * top-level `|` or flag change such as `(?i)` gives none.
 */
export function literalAffixes(p: string): { prefix: string; suffix: string } {
  const none = { prefix: '', suffix: '' };
  // Each top-level item: its literal character, or undefined for anything else.
  const items: Array<string | undefined> = [];
  for (let i = 0; i < p.length; ) {
    const c = p[i];
    const repeat = c === '{' ? REPEAT.exec(p.slice(i)) : null;
    if (c === '*' || c === '+' || c === '?' || repeat !== null) {
      items[items.length - 1] = undefined;
      i += repeat !== null ? repeat[0].length : 1;
      if (p[i] === '?') i++;
    } else if (c === '|') {
      return none;
    } else if (c === '(') {
      if (FLAGS.test(p.slice(i))) return none;
      i = skipGroup(p, i);
      items.push(undefined);
    } else if (c === '[') {
      i = skipClass(p, i);
      items.push(undefined);
    } else if (c === '\\') {
      // \d, \b, \n and other one-letter escapes are one item; \p{…}, \x{…}, octal and \Q…\E
      // run longer and are rare: give up on them.
      const n = p[i + 1];
      if (/[pPxQ0-9]/.test(n)) return none;
      items.push(escapedLiteral(n));
      i += 2;
    } else if (c !== '{' && c !== '}' && META.has(c)) {
      items.push(undefined);
      i++;
    } else {
      const ch = String.fromCodePoint(p.codePointAt(i) as number);
      items.push(ch);
      i += ch.length;
    }
  }
  let prefix = '';
  for (let i = 0; i < items.length && items[i] !== undefined; i++) prefix += items[i];
  let suffix = '';
  for (let i = items.length - 1; i >= 0 && items[i] !== undefined; i--) suffix = items[i] + suffix;
  return { prefix, suffix };
}

/** A counted repetition; any other `{` is a literal in RE2. */
const REPEAT = /^\{\d+(,\d*)?\}/;
/** A flag change that lasts to the end of the enclosing group, such as `(?i)`. */
const FLAGS = /^\(\?[a-zA-Z-]*\)/;

/** The index after the group opening at `i` (escapes, classes and nested groups skipped). */
function skipGroup(p: string, i: number): number {
  let depth = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '\\') {
      if (p[i + 1] === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        i = end < 0 ? p.length : end + 2;
      } else {
        i += 2;
      }
    } else if (c === '[') {
      i = skipClass(p, i);
    } else {
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return i + 1;
      i++;
    }
  }
  return i;
}

/** `[:alpha:]` and `[:^alpha:]` inside a class. */
const POSIX_CLASS = /^\[:\^?[a-z]+:\]/;

/** The index after the class opening at `i`: `]` first is literal, `[:alpha:]` is one member. */
function skipClass(p: string, i: number): number {
  i++;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  while (i < p.length && p[i] !== ']') {
    if (p[i] === '\\') i += 2;
    else i += POSIX_CLASS.exec(p.slice(i))?.[0].length ?? 1;
  }
  return i + 1;
}
