import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Matcher, MatchType } from './matcher.js';
import { RegexpSyntaxError, compileRE2 } from './re2.js';
import { literalAffixes } from './regex-shortcuts.js';

const re = (p: string) => new Matcher(MatchType.Regexp, 'l', p);

test('RE2 regexes match as Prometheus does', async (t) => {
  const cases: Record<string, { re: string; yes: string[]; no: string[] }> = {
    'fully anchored': { re: 'fo.', yes: ['foo'], no: ['xfoo', 'foox', ''] },
    'dot matches newline': { re: 'a.b', yes: ['a\nb'], no: ['ab'] },
    'leading (?i)': { re: '(?i)foo', yes: ['FOO', 'foo', 'fOo'], no: ['fo'] },
    '(?i) inside a group': { re: 'a(?i:b)c', yes: ['aBc', 'abc'], no: ['ABC', 'abC'] },
    '(?i) mid-pattern to group end': { re: '(a(?i)b)c', yes: ['aBc'], no: ['aBC', 'ABc'] },
    '(?i) with classes': { re: 'x(?i:[a-c]+)', yes: ['xAbC'], no: ['XaB', 'xd'] },
    'scoped (?i) folds like RE2 (Kelvin sign, long s)': { re: 'a(?i:ks)', yes: ['aKS', 'a\u212a\u017f', 'aks'], no: ['Aks', 'akz'] },
    'scoped (?i) in a class with non-ASCII': { re: 'x(?i:[σé])', yes: ['xΣ', 'xς', 'xÉ'], no: ['xe'] },
    '(?-s) turns dot-all off': { re: '(?-s)a.b', yes: ['axb'], no: ['a\nb'] },
    '(?m) line anchors': { re: '(?m)a$\\n^b', yes: ['a\nb'], no: [] },
    '\\z and \\A': { re: '\\Afoo\\z', yes: ['foo'], no: ['foo\n'] },
    '\\Q...\\E': { re: '\\Qa.b*\\E+', yes: ['a.b*', 'a.b**'], no: ['axb'] },
    'POSIX classes': { re: '[[:alpha:]]+[[:digit:]]', yes: ['abc1'], no: ['ab', '1a1'] },
    'negated POSIX class': { re: '[[:^digit:]]+', yes: ['ab', 'é'], no: ['a1'] },
    '(?P<name>)': { re: '(?P<x>a+)b', yes: ['aab'], no: ['b'] },
    '\\s is ASCII only': { re: '\\s', yes: [' ', '\t'], no: ['\u00a0'] },
    '\\pL and \\p{Greek}': { re: '\\pL\\p{Greek}', yes: ['aα'], no: ['1α', 'ab'] },
    'octal and hex escapes': { re: '\\141\\x62\\x{63}', yes: ['abc'], no: [] },
    'literal braces': { re: 'a{,2}', yes: ['a{,2}'], no: ['aa'] },
    'counted repeat': { re: 'a{2,3}', yes: ['aa', 'aaa'], no: ['a', 'aaaa'] },
    'ungreedy flag keeps full match': { re: '(?U)a+', yes: ['aaa'], no: [] },
    'unicode dot': { re: '.', yes: ['😀'], no: ['ab'] },
    alternation: { re: 'a|b|cd', yes: ['a', 'cd'], no: ['c', 'ab', ''] },
    'empty alternative': { re: 'a|', yes: ['a', ''], no: ['b'] },
    prefix: { re: 'foo.*', yes: ['foo', 'foobar'], no: ['fo', 'xfoo'] },
    suffix: { re: '.*foo', yes: ['foo', 'xfoo'], no: ['foox'] },
    contains: { re: '.*fo\\.o.*', yes: ['xfo.ox', 'fo.o'], no: ['foxo'] },
    'escaped dot-star is no prefix path': { re: 'foo\\.*', yes: ['foo', 'foo..'], no: ['foox'] },
    'any and non-empty': { re: '.+', yes: ['x'], no: [''] },
    'slash and brackets literal': { re: 'a/\\]b', yes: ['a/]b'], no: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const m = re(tc.re);
      for (const v of tc.yes) assert.ok(m.matches(v), `${tc.re} should match ${JSON.stringify(v)}`);
      for (const v of tc.no) assert.ok(!m.matches(v), `${tc.re} should not match ${JSON.stringify(v)}`);
      const neg = new Matcher(MatchType.NotRegexp, 'l', tc.re);
      for (const v of tc.yes) assert.ok(!neg.matches(v));
    });
  }
});

test('patterns RE2 rejects fail with the error Prometheus gives', async (t) => {
  // Messages as promtool 2.42 prints them (Go's regexp), except lookbehinds: Go 1.22 reads `(?<`
  // as a named group, as Prometheus 3 does.
  const bad: Record<string, string> = {
    '(a)\\1': 'invalid escape sequence: `\\1`',
    'a(?=b)': 'invalid or unsupported Perl syntax: `(?=`',
    'a(?!b)': 'invalid or unsupported Perl syntax: `(?!`',
    '(?<=a)b': 'invalid named capture: `(?<=a)b)$`',
    '(?<!a)b': 'invalid named capture: `(?<!a)b)$`',
    // Valid only inside Prometheus' `^(?:…)$`, where it would lose its anchoring.
    'a)|(b': 'unexpected ): `a)|(b`',
    '(?P<n>a)(?P=n)': 'invalid or unsupported Perl syntax: `(?P`',
    'a**': 'invalid nested repetition operator: `**`',
    'x{2}{3}': 'invalid nested repetition operator: `{2}{3}`',
    '*a': 'missing argument to repetition operator: `*`',
    'a{1001}': 'invalid repeat count: `{1001}`',
    '(a{1000}){1000}': 'invalid repeat count: `{1000}`',
    '(a': 'missing closing ): `^(?:(a)$`',
    '(?i': 'missing closing ): `^(?:(?i)$`',
    'a)': 'unexpected ): `^(?:a))$`',
    '[a': 'missing closing ]: `[a)$`',
    '\\y': 'invalid escape sequence: `\\y`',
    '\\8': 'invalid escape sequence: `\\8`',
    '\\x{110000}': 'invalid escape sequence: `\\x{110000`',
    '[z-a]': 'invalid character class range: `z-a`',
    '\\p{Foo}': 'invalid character class range: `\\p{Foo}`',
    'a\\': 'missing closing ): `^(?:a\\)$`',
    '\\C': 'invalid escape sequence: `\\C`',
  };
  for (const [p, why] of Object.entries(bad)) {
    await t.test(p, () => {
      for (const type of [MatchType.Regexp, MatchType.NotRegexp]) {
        assert.throws(
          () => new Matcher(type, 'l', p),
          (err: unknown) => err instanceof RegexpSyntaxError && err.code === 'invalid_regexp' && err.message === `error parsing regexp: ${why}`,
        );
      }
    });
  }
});

test('catastrophic backtracking shapes answer in linear time', async (t) => {
  // Each takes V8's backtracking RegExp exponential (or high polynomial) time on these values;
  // 200 ms is far above what a linear engine needs and far below what backtracking does.
  const a2000 = 'a'.repeat(2000);
  const cases: Record<string, { re: string; miss: string; hit: string }> = {
    'nested plus': { re: '(a+)+b', miss: a2000, hit: `${a2000}b` },
    'nested star': { re: '(a*)*b', miss: a2000, hit: `${a2000}b` },
    'overlapping alternation': { re: '(a|aa)+b', miss: a2000, hit: `${a2000}b` },
    'same alternatives': { re: '(a|a)*b', miss: a2000, hit: `${a2000}b` },
    'repeated wildcard groups': { re: '(.*a){12}b', miss: a2000, hit: `${a2000}b` },
    'words and spaces': { re: '(\\w+\\s?)+', miss: `${'ab'.repeat(1000)}!`, hit: 'ab '.repeat(667) },
    'case-insensitive nested': { re: '(?i)(A+)+B', miss: a2000, hit: `${a2000}b` },
    'literal prefix then nested': { re: 'a(a+)+b', miss: a2000, hit: `${a2000}b` },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const m = re(tc.re);
      const start = process.hrtime.bigint();
      assert.equal(m.matches(tc.miss), false);
      assert.equal(m.matches(tc.hit), true);
      assert.equal(new Matcher(MatchType.NotRegexp, 'l', tc.re).matches(tc.miss), true);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      assert.ok(ms < 200, `${tc.re} took ${ms.toFixed(1)} ms`);
    });
  }
});

test('literal prefix and suffix of a pattern', () => {
  const cases: Record<string, [string, string]> = {
    'foo.*bar': ['foo', 'bar'],
    'ab*c': ['a', 'c'],
    'ab{2}c?': ['a', ''],
    'a{,2}': ['a{,2}', 'a{,2}'],
    'x\\.y(z|w)': ['x.y', ''],
    '(a|b)c\\d': ['', ''],
    'a|bc': ['', ''],
    '(?i)ab': ['', ''],
    'a(?i:b)c': ['a', 'c'],
    '[)(]x[]]y': ['', 'y'],
    '[[:alpha:]]z': ['', 'z'],
    'é😀.+😀': ['é😀', '😀'],
    '\\p{Greek}x': ['', ''],
    'a\\x41': ['', ''],
    '^a$': ['', ''],
    'a(b\\Q)\\E)c': ['a', 'c'],
  };
  for (const [p, [prefix, suffix]] of Object.entries(cases)) {
    compileRE2(p); // every case is valid RE2
    assert.deepEqual(literalAffixes(p), { prefix, suffix }, p);
  }
});

test('prefix and suffix checks agree with the engine (property)', () => {
  const piece = fc.constantFrom('a', 'b', 'é', '.', '\\.', '|', '*', '+', '?', '{2}', '{1,}', '{,1}', '(', ')', '(?i)', '(?:', '[ab]', '[^a]', '\\d', '\\pL', '$', '^');
  const value = fc.stringMatching(/^[abAé.1{},]{0,6}$/);
  let checked = 0;
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 7 }), fc.array(value, { maxLength: 10 }), (pieces, values) => {
      const pattern = pieces.join('');
      let engine;
      try {
        engine = compileRE2(pattern);
      } catch {
        return; // not valid RE2
      }
      checked++;
      const m = re(pattern);
      for (const v of values) assert.equal(m.matches(v), engine.testExact(v), `${pattern} on ${JSON.stringify(v)}`);
    }),
    { numRuns: 1000 },
  );
  assert.ok(checked > 200, `only ${checked} valid patterns`);
});

test('matchesEmpty and setMatches', () => {
  assert.ok(new Matcher(MatchType.Equal, 'a', '').matchesEmpty());
  assert.ok(!new Matcher(MatchType.Equal, 'a', 'x').matchesEmpty());
  assert.ok(new Matcher(MatchType.NotEqual, 'a', 'x').matchesEmpty());
  assert.ok(re('x|').matchesEmpty());
  assert.ok(re('.*').matchesEmpty());
  assert.ok(!re('.+').matchesEmpty());
  assert.ok(new Matcher(MatchType.NotRegexp, 'a', '.+').matchesEmpty());
  assert.deepEqual(re('a|b\\.c|d').setMatches(), ['a', 'b.c', 'd']);
  assert.equal(re('a.*').setMatches(), undefined);
  assert.deepEqual(new Matcher(MatchType.Equal, 'a', 'v').setMatches(), ['v']);
});

test('scoped and pattern-wide (?i) agree (property)', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'K', 'k', '\u212a', 's', 'S', '\u017f', 'σ', 'Σ', 'ς', 'é', 'É', '1'), maxLength: 4 });
  fc.assert(
    fc.property(text, text, (pat, v) => {
      const lit = pat.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
      // The leading case-sensitive `A` forces per-character folding; `(?i)` alone uses the JS flag.
      assert.equal(re(`A(?i:${lit})`).matches(`A${v}`), re(`(?i)${lit}`).matches(v), `${lit} on ${v}`);
    }),
    { numRuns: 300 },
  );
});

test('shortcuts agree with the engine (property)', () => {
  const piece = fc.constantFrom('a', 'b', 'ab', '.', '\\.', '|', '.*', '', 'x');
  const value = fc.stringMatching(/^[abx.\n|]{0,6}$/);
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 5 }), fc.array(value, { maxLength: 10 }), (pieces, values) => {
      const pattern = pieces.join('');
      const m = re(pattern);
      const general = compileRE2(pattern);
      for (const v of values) assert.equal(m.matches(v), general.testExact(v), `${pattern} on ${JSON.stringify(v)}`);
    }),
    { numRuns: 300 },
  );
});
