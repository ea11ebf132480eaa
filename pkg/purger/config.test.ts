import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, section } from '../flagext/index.js';
import { purgerConfig } from './config.js';

test('a Cortex purger section loads: the cancel period applies, the chunks-storage settings are accepted with one warning', () => {
  const yaml = 'purger:\n  enable: true\n  num_workers: 4\n  object_store_type: s3\n  delete_request_cancel_period: 1h\n';
  const res = loadConfig(section({ purger: purgerConfig }), ['-config.file=c.yaml'], { env: {}, readFile: () => yaml });
  if (res.kind !== 'config') throw new Error('expected a config');
  assert.equal(res.config.purger.deleteRequestCancelPeriod, 3_600_000);
  assert.equal(res.warnings.length, 1);
  assert.match(res.warnings[0], /purger\.enable.*series_deletion_enabled/);
});
