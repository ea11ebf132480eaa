import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { exprToString, parseExpr } from './index.js';

const ok: Record<string, [string, string]> = {
  'postfix chain on a subquery': ['max_over_time((a / b)[1h:5m] offset 1m @ 100)', 'max_over_time((a / b)[1h:5m] offset 1m @ 100.000)'],
  'unary binds below pow': ['-2^2', '-2 ^ 2'],
  'grouping after body': ['sum(rate(x[5m])) by (job)', 'sum by (job) (rate(x[5m]))'],
  'compound durations and negative offset': ['foo[1h30m] offset -90s', 'foo[1h30m] offset -1m30s'],
  'number as duration': ['foo[5]', 'foo[5s]'],
  'hex and exponent literals': ['0x1f + 1.5e3', '31 + 1500'],
  '@ start()': ['foo @ start()', 'foo @ start()'],
  'trailing dot number': ['2.', '2'],
  'string escapes': [`label_replace(x, "a", '\\x41\\u00e9', "b", \`\\d\`)`, 'label_replace(x, "a", "Aé", "b", "\\\\d")'],
  'group_left with labels': ['a * on (x) group_left (y) b', 'a * on (x) group_left (y) b'],
};

const bad: Record<string, [string, string]> = {
  'unclosed parenthesis': ['sum(', '1:5: parse error: unclosed left parenthesis'],
  'unclosed braces': ['foo{a="b"', '1:10: parse error: unexpected end of input inside braces'],
  'unclosed bracket': ['foo[5m', '1:7: parse error: unclosed left bracket'],
  'unexpected end': ['1 +', '1:4: parse error: unexpected end of input'],
  'range on non selector': ['(foo)[5m]', '1:1: parse error: ranges only allowed for vector selectors'],
  'function arg type': ['rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
  'scalar comparison needs bool': ['1 < 2', '1:1: parse error: comparisons between scalars must use BOOL modifier'],
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
