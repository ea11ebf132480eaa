import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ParseError, parseExpr, parseSeriesSelector } from './index.js';
import { maxNestingDepth } from './nesting.js';
import { deepQueries } from './testing.js';

const message = `parse error: query is nested too deeply: more than ${maxNestingDepth} levels`;

function assertTooDeep(query: string): void {
  assert.throws(
    () => parseExpr(query),
    (err: unknown) => err instanceof ParseError && err.message.endsWith(message),
  );
}

test('queries as deep as the limit parse', async (t) => {
  for (const [name, q] of Object.entries(deepQueries)) {
    await t.test(name, () => {
      parseExpr(q(maxNestingDepth));
    });
  }
});

test('one level more is refused with a parse error naming the limit', async (t) => {
  for (const [name, q] of Object.entries(deepQueries)) {
    await t.test(name, () => {
      assertTooDeep(q(maxNestingDepth + 1));
    });
  }
  await t.test('position: the first level past the limit', () => {
    assert.throws(() => parseExpr(deepQueries.parentheses(maxNestingDepth + 1)), { message: `1:${maxNestingDepth + 1}: ${message}` });
  });
});

test('very deep and very long queries never overflow the stack', async (t) => {
  const cases: Record<string, string> = {
    '10,000 nested parentheses': deepQueries.parentheses(10_000),
    '100,000 nested calls': deepQueries['function calls'](100_000),
    '20,000 unary minus': deepQueries['unary minus'](20_000),
    '100,000-term binary chain': deepQueries['binary chain'](100_000),
    '100,000-term scalar chain (deeper than Lezer can build)': deepQueries['scalar chain'](100_000),
    '5,000-term scalar chain': deepQueries['scalar chain'](5_000),
    '10,000-term power chain': deepQueries['power chain (right-associative)'](10_000),
    '1,000 nested subqueries': deepQueries.subqueries(3_000),
    '10,000-term duration arithmetic': deepQueries['duration arithmetic'](10_000),
    'parentheses in strings and comments do not count': `label_replace(a, "x", "${'('.repeat(500)}", "y", "") # ${'('.repeat(500)}\n${'('.repeat(maxNestingDepth + 1)}a${')'.repeat(maxNestingDepth + 1)}`,
  };
  for (const [name, q] of Object.entries(cases)) await t.test(name, () => assertTooDeep(q));
  await t.test('the series selector of match[]', () => {
    assert.throws(() => parseSeriesSelector(deepQueries.parentheses(10_000)), { message: `1:${maxNestingDepth + 1}: ${message}` });
  });
});

test('parentheses in strings and comments are not nesting', () => {
  parseExpr(`label_replace(a, "x", "${'('.repeat(500)}", "y", "") # ${'('.repeat(500)}`);
});
