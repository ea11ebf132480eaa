import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, defaults, loadConfig } from '../flagext/index.js';
import { limitsConfig, resolveOverrides } from '../limits/index.js';
import { compactorConfig, validateCompactorConfig } from './config.js';

const H = 3_600_000;
const load = (args: string[], yaml = '') =>
  loadConfig(compactorConfig, [...args, ...(yaml !== '' ? ['-config.file=c.yaml'] : [])], { env: {}, readFile: () => yaml });

test('defaults are Cortex\'s; YAML and flags set them', () => {
  const { shardingRing, ...cfg } = defaults(compactorConfig);
  assert.deepEqual(cfg, { blockRanges: [2 * H, 12 * H, 24 * H], dataDir: './data/compactor', compactionInterval: H, deletionDelay: 12 * H, shardingEnabled: false, cleanupInterval: 15 * 60_000 });
  assert.equal(shardingRing.kvstore.store, 'inmemory');
  const res = load(['-compactor.block-ranges=2h,6h', '-compactor.cleanup-interval=1m'], 'block_ranges: [1h, 4h]\ndeletion_delay: 2h\n');
  assert.equal(res.kind, 'config');
  if (res.kind !== 'config') return;
  assert.deepEqual(res.config.blockRanges, [2 * H, 6 * H], 'flags win over YAML');
  assert.equal(res.config.deletionDelay, 2 * H);
  assert.equal(res.config.cleanupInterval, 60_000);
  validateCompactorConfig(res.config);
});

test('bad values are rejected with the key path', async (t) => {
  const cases: Record<string, { args?: string[]; yaml?: string; path: string }> = {
    'not a duration list': { yaml: 'block_ranges: [2h, soon]', path: 'block_ranges' },
    'empty ranges': { args: ['-compactor.block-ranges='], path: 'compactor.block_ranges' },
    'ranges not multiples': { args: ['-compactor.block-ranges=2h,5h'], path: 'compactor.block_ranges' },
    'ranges not increasing': { args: ['-compactor.block-ranges=12h,2h'], path: 'compactor.block_ranges' },
    'zero deletion delay': { args: ['-compactor.deletion-delay=0s'], path: 'compactor.deletion_delay' },
    'zero interval': { yaml: 'compaction_interval: 0s', path: 'compactor.compaction_interval' },
    'sharding (Myelin runs one compactor)': { yaml: 'sharding_enabled: true', path: 'compactor.sharding_enabled' },
    'zero cleanup interval': { yaml: 'cleanup_interval: 0s', path: 'compactor.cleanup_interval' },
    'empty data dir': { yaml: 'data_dir: ""', path: 'compactor.data_dir' },
    'bad duration flag': { args: ['-compactor.deletion-delay=12'], path: '-compactor.deletion-delay' },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.throws(() => {
        const res = load(c.args ?? [], c.yaml ?? '');
        if (res.kind === 'config') validateCompactorConfig(res.config);
      }, (err: unknown) => err instanceof ConfigError && err.message.includes(c.path));
    });
  }
});

test('deletion_delay must outlast the readers\' ignore_deletion_mark_delay', () => {
  const res = load(['-compactor.deletion-delay=6h'], '');
  assert.equal(res.kind, 'config');
  if (res.kind !== 'config') return;
  assert.throws(() => validateCompactorConfig(res.config, 6 * 3_600_000),
    (err: unknown) => err instanceof ConfigError && /compactor\.deletion_delay: 6h0m0s must be longer than blocks_storage\.bucket_store\.ignore_deletion_mark_delay \(6h0m0s\)/.test(err.message));
  validateCompactorConfig(res.config, 3_600_000);
});

test('the retention limit is per tenant', () => {
  const d = defaults(limitsConfig);
  assert.equal(d.compactorBlocksRetentionPeriod, 0);
  const o = resolveOverrides(d, { a: { compactor_blocks_retention_period: '30d' } });
  assert.equal(o.get('a')?.compactorBlocksRetentionPeriod, 30 * 24 * H);
  assert.throws(() => resolveOverrides(d, { a: { compactor_blocks_retention_period: 'forever' } }), /overrides\.a\.compactor_blocks_retention_period/);
});
