import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MergedMatrix, compareLabels } from './merge.js';

const enc = (s: string) => new TextEncoder().encode(s);
const a = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"b"},"values":[[1,"1"]]},{"metric":{"job":"a\\u003c"},"values":[[1.500,"2"]]}],"stats":{"timings":{"evalTotalTime":0.5,"resultSortTime":0,"queryPreparationTime":0.25,"innerEvalTime":0.25,"execQueueTime":0,"execTotalTime":0.5},"samples":{"totalQueryableSamplesPerStep":[[1,3]],"totalQueryableSamples":3,"peakSamples":10}}},"warnings":["w"]}';
const b = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a\\u003c"},"values":[[1.500,"2"],[2.500,"NaN"]]},{"metric":{"job":"c"},"histograms":[[3,{"count":"1","sum":"2"}]]}],"stats":{"timings":{"evalTotalTime":1,"resultSortTime":0.125,"queryPreparationTime":0.5,"innerEvalTime":0.375,"execQueueTime":0.25,"execTotalTime":1.25},"samples":{"totalQueryableSamplesPerStep":[[2,1],[3,3]],"totalQueryableSamples":4,"peakSamples":6}}},"warnings":["w"]}';

test('MergedMatrix: points in time order once each, series sorted by labels, warnings once, stats merged (samples and timings summed, steps concatenated, the largest peak)', () => {
  assert.equal(new MergedMatrix([enc(a), enc(b)]).render(),
    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a\\u003c"},"values":[[1.500,"2"],[2.500,"NaN"]]},{"metric":{"job":"b"},"values":[[1,"1"]]},{"metric":{"job":"c"},"histograms":[[3,{"count":"1","sum":"2"}]]}],"stats":{"timings":{"evalTotalTime":1.5,"resultSortTime":0.125,"queryPreparationTime":0.75,"innerEvalTime":0.625,"execQueueTime":0.25,"execTotalTime":1.75},"samples":{"totalQueryableSamplesPerStep":[[1,3],[2,1],[3,3]],"totalQueryableSamples":7,"peakSamples":10}}},"warnings":["w"]}');
});

test('MergedMatrix.render(from, to): only the window\'s points; series without any are left out', () => {
  assert.equal(new MergedMatrix([enc(a), enc(b)]).render(1500, 2500),
    '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a\\u003c"},"values":[[1.500,"2"],[2.500,"NaN"]]}],"stats":{"timings":{"evalTotalTime":1.5,"resultSortTime":0.125,"queryPreparationTime":0.75,"innerEvalTime":0.625,"execQueueTime":0.25,"execTotalTime":1.75},"samples":{"totalQueryableSamplesPerStep":[[1,3],[2,1],[3,3]],"totalQueryableSamples":7,"peakSamples":10}}},"warnings":["w"]}');
});

test('MergedMatrix: answers scanned as text and answers parsed merge alike; overlaps and windows cut runs of points', () => {
  const part = (from: number, to: number, spaced = false): Uint8Array => {
    const pts = [];
    for (let t = from; t <= to; t++) pts.push(`[${t},"${t * 2}"]`);
    const body = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"x","a":"q\\"}]"},"values":[${pts.join(',')}]},{"metric":{"b":"1"},"values":[]}]}}`;
    return enc(spaced ? JSON.stringify(JSON.parse(body), null, 1) : body);
  };
  const expected = (from: number, to: number): string => {
    const pts = [];
    for (let t = from; t <= to; t++) pts.push(`[${t},"${t * 2}"]`);
    return `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"x","a":"q\\"}]"},"values":[${pts.join(',')}]}]}}`;
  };
  assert.equal(new MergedMatrix([part(1, 5), part(6, 9)]).render(), expected(1, 9));
  assert.equal(new MergedMatrix([part(1, 5, true), part(6, 9)]).render(), expected(1, 9));
  assert.equal(new MergedMatrix([part(1, 5), part(3, 9, true)]).render(), expected(1, 9));
  assert.equal(new MergedMatrix([part(1, 5), part(3, 9)]).render(4000, 7000), expected(4, 7));
});

test('MergedMatrix refuses anything but successful matrices', () => {
  assert.throws(() => new MergedMatrix([enc('{"status":"error"}')]), /BUG/);
});

test('compareLabels orders as Prometheus labels.Compare', () => {
  assert.ok(compareLabels({ __name__: 'x', a: '1' }, { __name__: 'x' }) > 0);
  assert.ok(compareLabels({ a: '1' }, { b: '0' }) < 0);
  assert.equal(compareLabels({ a: '1' }, { a: '1' }), 0);
});
