import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiRequest } from '../api/prometheus/index.js';
import { RuleQueryError, ruleQueries } from './rule-query.js';

const answering = (body: unknown) => ruleQueries(async (_req: ApiRequest) => ({ status: 200, body: JSON.stringify(body) }), 1 << 20);

test('an instant query\'s floats and native histograms become rule samples', async () => {
  const { query } = answering({
    status: 'success',
    data: {
      resultType: 'vector',
      result: [
        { metric: { job: 'a' }, value: [60, '+Inf'] },
        { metric: { job: 'b' }, histogram: [60, { count: '3', sum: '4.5', buckets: [[0, '1', '2', '1'], [0, '2', '4', '2']] }] },
      ],
    },
  });
  const [a, b] = await query('t', 'x', 60_000);
  assert.deepEqual(a, { labels: { job: 'a' }, value: Infinity });
  assert.equal(b.value, 0);
  assert.deepEqual({ schema: b.histogram?.schema, spans: b.histogram?.positiveSpans, counts: b.histogram?.positiveBuckets, count: b.histogram?.count, sum: b.histogram?.sum },
    { schema: 0, spans: [{ offset: 1, length: 2 }], counts: [1, 2], count: 3, sum: 4.5 });
});

test('a rule result with custom-bucket histograms fails the rule, naming why', async () => {
  const { query } = answering({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, histogram: [60, { count: '1', sum: '1', buckets: [[3, '-Inf', '5', '1']] }] }] } });
  await assert.rejects(query('t', 'x', 0), (err) => err instanceof RuleQueryError && /custom buckets in a rule result are not supported/.test(err.message));
});

test('a query answer over the byte limit or in error fails the rule with the reason', async () => {
  const big = ruleQueries(async () => ({ status: 200, body: 'x'.repeat(100) }), 10);
  await assert.rejects(big.query('t', 'x', 0), /exceeds -ruler.max-rule-result-bytes=10/);
  const failing = answering({ status: 'error', errorType: 'bad_data', error: 'parse error' });
  await assert.rejects(failing.query('t', 'x', 0), (err) => err instanceof RuleQueryError && err.message === 'bad_data: parse error');
});
