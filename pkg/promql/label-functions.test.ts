import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compileRE2 } from '../model/labels/index.js';
import { expandTemplate, groupsOf, naturalCompare } from './label-functions.js';

test('Go regexp template expansion', () => {
  const re = compileRE2('(?P<host>[a-z]+)-(\\d+)(x)?');
  const m = re.matcher('web-42');
  assert.ok(m.matches());
  const groups = groupsOf(re, m);
  const cases: Record<string, string> = {
    '$1': 'web',
    '${2}': '42',
    '$host:$2': 'web:42',
    '${host}x': 'webx',
    '$1x': '', // the name is "1x": no such group
    '$$1': '$1',
    '$9': '',
    '$3': '', // did not match
    '$constructor': '',
    '$01': 'web',
    'a$': 'a$',
    '${bad': '${bad',
  };
  for (const [tpl, want] of Object.entries(cases)) assert.equal(expandTemplate(tpl, groups), want, tpl);
});

test('natural order compares digit runs as numbers', () => {
  const sorted = ['a10', 'a2', 'a1', 'b', 'a02', ''].sort(naturalCompare);
  assert.deepEqual(sorted, ['', 'a1', 'a2', 'a02', 'a10', 'b']);
});
