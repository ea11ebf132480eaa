import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels, LabelsBuilder } from './labels.js';
import { Matcher, MatchType } from './matcher.js';

test('labels are sorted and drop empty values', () => {
  const ls = Labels.fromPairs(['b', '2', '__name__', 'up', 'a', '1', 'c', '']);
  assert.deepEqual(ls.pairs(), ['__name__', 'up', 'a', '1', 'b', '2']);
  assert.equal(ls.toString(), 'up{a="1", b="2"}');
  assert.equal(Labels.fromPairs(['x', 'q"\\\n']).toString(), '{x="q\\"\\\\\\n"}');
});

test('labels compare, equal and key agree', () => {
  const a = Labels.fromRecord({ a: '1', b: '2' });
  const b = Labels.fromRecord({ b: '2', a: '1' });
  const c = Labels.fromRecord({ a: '1' });
  assert.ok(a.equals(b));
  assert.equal(a.key, b.key);
  assert.notEqual(a.key, c.key);
  assert.equal(Labels.compare(a, b), 0);
  assert.ok(Labels.compare(c, a) < 0);
});

test('internStrings swaps in the canonical strings without changing the label set', () => {
  const ls = Labels.fromPairs(['job', 'node', '__name__', 'up']);
  const key = ls.key;
  const seen: string[] = [];
  ls.internStrings((s) => {
    seen.push(s);
    return s.slice(0, 1) + s.slice(1);
  });
  assert.deepEqual(seen, ['__name__', 'up', 'job', 'node']);
  assert.deepEqual(ls.pairs(), ['__name__', 'up', 'job', 'node']);
  assert.equal(ls.key, key);
  assert.ok(ls.equals(Labels.fromRecord({ __name__: 'up', job: 'node' })));
});

test('builder sets and deletes', () => {
  const base = Labels.fromRecord({ a: '1', b: '2' });
  const out = new LabelsBuilder(base).set('c', '3').del('a').labels();
  assert.deepEqual(out.toRecord(), { b: '2', c: '3' });
});

test('regex matchers are fully anchored and dot matches newline', () => {
  const m = new Matcher(MatchType.Regexp, 'a', 'fo.');
  assert.ok(m.matches('foo'));
  assert.ok(!m.matches('xfoo'));
  assert.ok(!m.matches('foox'));
  assert.ok(new Matcher(MatchType.Regexp, 'a', 'a.b').matches('a\nb'));
  assert.ok(new Matcher(MatchType.NotRegexp, 'a', 'x|y').matches(''));
});
