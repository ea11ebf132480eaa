import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Labels } from '../model/labels/index.js';
import { prometheusLabelsHash, xxhash64 } from './labels-hash.js';

test('xxHash64 reference vectors', () => {
  const cases: Record<string, string> = {
    '': 'ef46db3751d8e999',
    a: 'd24ec4f1a98c6e5b',
    abc: '44bc2cf5ad770999',
    'Nobody inspects the spammish repetition': 'fbcea83c8a378bf1',
  };
  for (const [input, want] of Object.entries(cases)) assert.equal(xxhash64(Buffer.from(input)).toString(16), want, input);
});

test('label sets hash over name 0xff value 0xff', () => {
  const ls = Labels.fromRecord({ __name__: 'up', job: 'a' });
  const bytes = Buffer.from('__name__\xffup\xffjob\xffa\xff', 'latin1');
  assert.equal(prometheusLabelsHash(ls), Number(xxhash64(bytes)));
});
