import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat } from './format-float.js';

// Expected strings are Go's strconv.FormatFloat(v, 'f', -1, 64), what Prometheus prints.
test('floats print as Go\'s strconv.FormatFloat(v, \'f\', -1, 64)', () => {
  const cases: Array<[number, string]> = [
    [0, '0'], [-0, '-0'], [1, '1'], [-1.5, '-1.5'], [0.1, '0.1'], [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'], [-2.5e-10, '-0.00000000025'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatFloat(v), want, String(v));
});
