import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { expandTemplate, naturalCompare } from './label-functions.js';

test('Go regexp template expansion', () => {
  const m = /^(?<host>[a-z]+)-(\d+)$/.exec('web-42') as RegExpExecArray;
  const cases: Record<string, string> = {
    '$1': 'web',
    '${2}': '42',
    '$host:$2': 'web:42',
    '${host}x': 'webx',
    '$1x': '', // the name is "1x": no such group
    '$$1': '$1',
    '$9': '',
    'a$': 'a$',
    '${bad': '${bad',
  };
  for (const [tpl, want] of Object.entries(cases)) assert.equal(expandTemplate(tpl, m), want, tpl);
});

test('natural order compares digit runs as numbers', () => {
  const sorted = ['a10', 'a2', 'a1', 'b', 'a02', ''].sort(naturalCompare);
  assert.deepEqual(sorted, ['', 'a1', 'a2', 'a02', 'a10', 'b']);
});
