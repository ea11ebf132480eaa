import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults } from '../flagext/index.js';
import { distributorConfig, validateDistributorConfig } from './config.js';

test('the HA failover timeout must exceed update timeout + jitter by 1s', async (t) => {
  const cases: Record<string, { enable: boolean; update: number; jitter: number; failover: number; ok: boolean }> = {
    defaults: { enable: true, update: 15_000, jitter: 5_000, failover: 30_000, ok: true },
    'too short': { enable: true, update: 15_000, jitter: 5_000, failover: 20_000, ok: false },
    'disabled tracker is not checked': { enable: false, update: 15_000, jitter: 5_000, failover: 1, ok: true },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      const cfg = defaults(distributorConfig);
      Object.assign(cfg.haTracker, { enableHaTracker: c.enable, haTrackerUpdateTimeout: c.update, haTrackerUpdateTimeoutJitterMax: c.jitter, haTrackerFailoverTimeout: c.failover });
      if (c.ok) validateDistributorConfig(cfg);
      else assert.throws(() => validateDistributorConfig(cfg), /^ConfigError: distributor\.ha_tracker\.ha_tracker_failover_timeout: must be at least 1s longer/);
    });
  }
});
