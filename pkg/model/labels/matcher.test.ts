import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Matcher, MatchType } from './matcher.js';
import { RegexpSyntaxError, translateRE2 } from './re2.js';

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

test('patterns RE2 rejects are rejected with a clear error', async (t) => {
  const bad: Record<string, string> = {
    '(a)\\1': 'backreferences',
    'a(?=b)': 'lookaround',
    'a(?!b)': 'lookaround',
    '(?<=a)b': 'lookaround',
    '(?<!a)b': 'lookaround',
    '(?P<n>a)(?P=n)': 'backreferences',
    'a**': 'bad repetition',
    '*a': 'missing argument',
    'a{1001}': 'invalid repeat',
    '(a': 'missing closing )',
    'a)': 'unexpected )',
    '[a': 'missing closing ]',
    '\\y': 'invalid escape',
    '[z-a]': 'invalid character class range',
    'a\\': 'trailing backslash',
    '\\C': 'not supported',
  };
  for (const [p, why] of Object.entries(bad)) {
    await t.test(p, () => {
      assert.throws(
        () => re(p),
        (err: unknown) => err instanceof RegexpSyntaxError && err.code === 'invalid_regexp' && err.message.includes(why),
      );
    });
  }
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

test('fast paths agree with the general RegExp (property)', () => {
  const piece = fc.constantFrom('a', 'b', 'ab', '.', '\\.', '|', '.*', '', 'x');
  const value = fc.stringMatching(/^[abx.\n|]{0,6}$/);
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 5 }), fc.array(value, { maxLength: 10 }), (pieces, values) => {
      const pattern = pieces.join('');
      const m = re(pattern);
      const { source, flags } = translateRE2(pattern);
      const general = new RegExp(source, flags);
      for (const v of values) assert.equal(m.matches(v), general.test(v), `${pattern} on ${JSON.stringify(v)}`);
    }),
    { numRuns: 300 },
  );
});
