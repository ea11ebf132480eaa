// Cortex's and Myelin's former names, given as flags and in the config file, set the current option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../flagext/index.js';
import { myelinAliases } from './aliases.js';
import { myelinConfig, type MyelinConfig } from './config.js';

function load(argv: string[], file = ''): MyelinConfig {
  const res = loadConfig(myelinConfig, file === '' ? argv : ['-config.file=c.yaml', ...argv], { env: {}, readFile: () => file, aliases: myelinAliases });
  if (res.kind !== 'config') throw new Error('BUG: help');
  return res.config;
}

test('Cortex 1.21 names as flags and YAML keys', async (t) => {
  const cases: Record<string, { flag: string; yaml: string; read: (c: MyelinConfig) => unknown; want: unknown }> = {
    'ruler API': { flag: '-ruler.enable-api=false', yaml: 'ruler:\n  enable_api: false\n', read: (c) => c.ruler.enableApi, want: false },
    'exemplars limit': { flag: '-ingester.max-exemplars=5000', yaml: 'limits:\n  max_exemplars: 5000\n', read: (c) => c.limits.maxGlobalExemplarsPerUser, want: 5000 },
    'frontend queue per tenant': {
      flag: '-frontend.max-outstanding-requests-per-tenant=7',
      yaml: 'limits:\n  max_outstanding_requests_per_tenant: 7\n',
      read: (c) => c.frontend.maxOutstandingPerTenant,
      want: 7,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.deepEqual(c.read(load([c.flag])), c.want, 'flag');
      assert.deepEqual(c.read(load([], c.yaml)), c.want, 'YAML');
      assert.notDeepEqual(c.read(load([])), c.want, 'differs from the default');
    });
  }
});

test('a Cortex name and the Myelin name in one file is an error naming both', () => {
  assert.throws(
    () => load([], 'limits:\n  max_exemplars: 1\n  max_global_exemplars_per_user: 2\n'),
    (err: unknown) => err instanceof ConfigError && /limits\.max_exemplars.*former name of limits\.max_global_exemplars_per_user/.test(err.message),
  );
});
