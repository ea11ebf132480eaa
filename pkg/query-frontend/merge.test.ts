import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MergedMatrix, compareLabels } from './merge.js';

const enc = (s: string) => new TextEncoder().encode(s);
const a = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"b"},"values":[[1,"1"]]},{"metric":{"job":"a\\u003c"},"values":[[1.5,"2"]]}],"stats":{"samples":{"totalQueryableSamples":3}}},"warnings":["w"]}';
const b = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a\\u003c"},"values":[[1.5,"2"],[2.5,"NaN"]]},{"metric":{"job":"c"},"histograms":[[3,{"count":"1","sum":"2"}]]}],"stats":{"samples":{"totalQueryableSamples":4}}},"warnings":["w"]}';

test('MergedMatrix: points in time order once each, series sorted by labels, warnings once, stats summed', () => {
  assert.equal(new MergedMatrix([enc(a), enc(b)]).render(),
    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a\\u003c"},"values":[[1.500,"2"],[2.500,"NaN"]]},{"metric":{"job":"b"},"values":[[1,"1"]]},{"metric":{"job":"c"},"histograms":[[3,{"count":"1","sum":"2"}]]}],"stats":{"samples":{"totalQueryableSamples":7}}},"warnings":["w"]}');
});

test('MergedMatrix.render(from, to): only the window\'s points; series without any are left out', () => {
  assert.equal(new MergedMatrix([enc(a), enc(b)]).render(1500, 2500),
    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a\\u003c"},"values":[[1.500,"2"],[2.500,"NaN"]]}],"stats":{"samples":{"totalQueryableSamples":7}}},"warnings":["w"]}');
});

test('MergedMatrix refuses anything but successful matrices', () => {
  assert.throws(() => new MergedMatrix([enc('{"status":"error"}')]), /BUG/);
});

test('compareLabels orders as Prometheus labels.Compare', () => {
  assert.ok(compareLabels({ __name__: 'x', a: '1' }, { __name__: 'x' }) > 0);
  assert.ok(compareLabels({ a: '1' }, { b: '0' }) < 0);
  assert.equal(compareLabels({ a: '1' }, { a: '1' }), 0);
});
