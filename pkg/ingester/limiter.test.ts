import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaults } from '../flagext/index.js';
import { Overrides, limitsConfig } from '../limits/index.js';
import type { Limits } from '../limits/index.js';
import { Limiter, SeriesLimitReason } from './limiter.js';

function limiter(l: Partial<Limits>, healthy: number, rf: number): Limiter {
  return new Limiter(new Overrides({ ...defaults(limitsConfig), ...l }, () => new Map()), { healthyInstances: () => healthy, replicationFactor: () => rf });
}

const cases: Record<string, { limits: Partial<Limits>; healthy: number; rf: number; perUser: number; perMetric: number }> = {
  'local only': { limits: { maxSeriesPerUser: 100, maxSeriesPerMetric: 10 }, healthy: 3, rf: 3, perUser: 100, perMetric: 10 },
  'global spread over ingesters by RF': { limits: { maxSeriesPerUser: 0, maxGlobalSeriesPerUser: 1000, maxSeriesPerMetric: 0, maxGlobalSeriesPerMetric: 90 }, healthy: 6, rf: 3, perUser: 500, perMetric: 45 },
  'the smaller of local and global': { limits: { maxSeriesPerUser: 300, maxGlobalSeriesPerUser: 1000 }, healthy: 6, rf: 3, perUser: 300, perMetric: 50_000 },
  'no healthy ingester counts as one': { limits: { maxSeriesPerUser: 0, maxGlobalSeriesPerUser: 1000 }, healthy: 0, rf: 1, perUser: 1000, perMetric: 50_000 },
  'unlimited': { limits: { maxSeriesPerUser: 0, maxSeriesPerMetric: 0 }, healthy: 3, rf: 3, perUser: 0, perMetric: 0 },
};
for (const [name, c] of Object.entries(cases)) {
  test(`series limits: ${name}`, () => {
    const l = limiter(c.limits, c.healthy, c.rf);
    assert.equal(l.maxSeriesPerUser('t'), c.perUser);
    assert.equal(l.maxSeriesPerMetric('t'), c.perMetric);
  });
}

test('refusal reasons: per user first, then per metric', () => {
  const l = limiter({ maxSeriesPerUser: 10, maxSeriesPerMetric: 2 }, 1, 1);
  assert.equal(l.seriesRefusal('t', 9, 1), undefined);
  assert.equal(l.seriesRefusal('t', 10, 0), SeriesLimitReason.PerUser);
  assert.equal(l.seriesRefusal('t', 5, 2), SeriesLimitReason.PerMetric);
});
