import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels } from './labels.js';
import { Matcher, MatchType } from './matcher.js';
import { QueryShardError, inQueryShard, parseQueryShard, queryShardHash, splitQueryShard } from './query-shard.js';

test('parseQueryShard reads <i>_of_<n> (1-based) and refuses anything else, naming the value', () => {
  assert.deepEqual(parseQueryShard('1_of_1'), { index: 1, count: 1 });
  assert.deepEqual(parseQueryShard('7_of_16'), { index: 7, count: 16 });
  for (const bad of ['0_of_2', '3_of_2', '1_of_0', '1-of-2', '', '01_of_2', 'a_of_b', '1_of_2 ', '1_of_999999']) {
    assert.throws(() => parseQueryShard(bad), (err: Error) => err instanceof QueryShardError && err.message.includes(`"${bad}"`) && err.message.includes('__query_shard__'), bad);
  }
});

test('splitQueryShard takes the selector out of the matchers; other operators and two selectors are refused', () => {
  const job = new Matcher(MatchType.Equal, 'job', 'a');
  const { shard, rest } = splitQueryShard([job, new Matcher(MatchType.Equal, '__query_shard__', '2_of_3')]);
  assert.deepEqual(shard, { index: 2, count: 3 });
  assert.deepEqual(rest, [job]);
  assert.deepEqual(splitQueryShard([job]), { shard: undefined, rest: [job] });
  assert.throws(() => splitQueryShard([new Matcher(MatchType.Regexp, '__query_shard__', '1_of_2')]), /must use "="/);
  assert.throws(() => splitQueryShard([new Matcher(MatchType.Equal, '__query_shard__', '1_of_2'), new Matcher(MatchType.Equal, '__query_shard__', '2_of_2')]), /more than one/);
});

test('every label set is in exactly one shard, and shards are about even', () => {
  const n = 7;
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < 7000; i++) {
    const h = queryShardHash(Labels.fromRecord({ __name__: 'x', instance: `host-${i}`, job: `j${i % 13}` }));
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 30);
    const in_ = [...counts.keys()].filter((k) => inQueryShard(h, { index: k + 1, count: n }));
    assert.equal(in_.length, 1);
    counts[in_[0]]++;
  }
  for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven shards: ${counts.join(',')}`);
});

test('the shard hash is a stable function of the label set', () => {
  // Pinned: ingesters and store-gateways of different versions must agree.
  assert.equal(queryShardHash(Labels.fromRecord({ __name__: 'up', job: 'node' })), queryShardHash(Labels.fromRecord({ job: 'node', __name__: 'up' })));
  assert.notEqual(queryShardHash(Labels.fromRecord({ __name__: 'up', job: 'node' })), queryShardHash(Labels.fromRecord({ __name__: 'up', job: 'nodf' })));
});
