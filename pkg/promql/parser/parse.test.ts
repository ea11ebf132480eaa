import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { exprToString, parseExpr } from './index.js';

const ok: Record<string, [string, string]> = {
  'postfix chain on a subquery': ['max_over_time((a / b)[1h:5m] offset 1m @ 100)', 'max_over_time((a / b)[1h:5m] @ 100.000 offset 1m)'],
  'unary binds below pow': ['-2^2', '-2 ^ 2'],
  'grouping after body': ['sum(rate(x[5m])) by (job)', 'sum by (job) (rate(x[5m]))'],
  'compound durations and negative offset': ['foo[1h30m] offset -90s', 'foo[1h30m] offset -1m30s'],
  'number as duration': ['foo[5]', 'foo[5s]'],
  'hex and exponent literals': ['0x1f + 1.5e3', '31 + 1500'],
  '@ start()': ['foo @ start()', 'foo @ start()'],
  'trailing dot number': ['2.', '2'],
  'string escapes': [`label_replace(x, "a", '\\x41\\u00e9', "b", \`\\d\`)`, 'label_replace(x, "a", "Aé", "b", "\\\\d")'],
  'comments are skipped': ['foo # first\n+ 1 # second', 'foo + 1'],
  'matchers sorted, durations kept': ['foo{b="1",a=~"x"} offset 5m > 5m', 'foo{a=~"x",b="1"} offset 5m > 5m'],
  'group_left with labels': ['a * on (x) group_left (y) b', 'a * on (x) group_left (y) b'],
};

const bad: Record<string, [string, string]> = {
  'unclosed parenthesis': ['sum(', '1:5: parse error: unclosed left parenthesis'],
  'unclosed braces': ['foo{a="b"', '1:10: parse error: unexpected end of input inside braces'],
  'unclosed bracket': ['foo[5m', '1:7: parse error: unclosed left bracket'],
  'unexpected end': ['1 +', '1:4: parse error: unexpected end of input'],
  'empty input': [' # only a comment', '1:1: parse error: no expression found in input'],
  'unexpected identifier': ['foo bar', '1:5: parse error: unexpected identifier "bar"'],
  'offset without duration': ['foo offset', '1:11: parse error: unexpected end of input in offset, expected duration'],
  'label matcher without value': ['foo{a=}', '1:7: parse error: unexpected "}" in label matching, expected string'],
  'bad regexp': ['foo{a=~"("}', '1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`'],
  'comparison of scalars at the operator': ['1 < 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
  'range on non selector': ['(foo)[5m]', '1:1: parse error: ranges only allowed for vector selectors'],
  'function arg type': ['rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
  'unknown function': ['blah(x)', '1:1: parse error: unknown function with name "blah"'],
  'set op on scalar': ['1 and foo', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
};

test('parse and print', async (t) => {
  for (const [name, [input, want]] of Object.entries(ok)) {
    await t.test(name, () => assert.equal(exprToString(parseExpr(input)), want));
  }
});

test('parse errors', async (t) => {
  for (const [name, [input, want]] of Object.entries(bad)) {
    await t.test(name, () => assert.throws(() => parseExpr(input), { message: want }));
  }
});
