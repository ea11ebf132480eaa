// Config of the compactor (`compactor` section, flags -compactor.*), with Cortex's names and
// defaults. The per-tenant retention lives in the limits (`compactor_blocks_retention_period`).
import { ConfigError, bool, duration, formatDuration, int, parseDuration, section, string, stringList, type ConfigOf, type Field } from '../flagext/index.js';
import { kvConfig } from '../kv/index.js';

/** A list of durations in milliseconds: a YAML sequence or a comma-separated flag (`2h,12h,24h`). */
function durationList(opts: { flag: string; default: string[]; help: string }): Field<number[]> {
  const parseOne = (raw: unknown): number => {
    const ms = typeof raw === 'string' ? parseDuration(raw.trim()) : undefined;
    if (ms === undefined) throw new Error(`expected a list of durations like 2h,12h,24h, got ${JSON.stringify(raw)}`);
    return ms;
  };
  return {
    kind: 'field', flag: opts.flag, yaml: undefined, defaultValue: opts.default.map(parseOne), help: opts.help,
    category: 'basic', secret: false, typeName: 'list of durations', isBool: false,
    parse: (raw) => {
      if (typeof raw === 'string') return raw.trim() === '' ? [] : raw.split(',').map(parseOne);
      if (Array.isArray(raw)) return raw.map(parseOne);
      throw new Error(`expected a list of durations like 2h,12h,24h, got ${JSON.stringify(raw)}`);
    },
    format: (v) => v.map(formatDuration),
    notice: () => undefined,
  };
}

const ringFlag = (n: string) => `compactor.ring.${n}`;
const unused = 'Unused: Myelin runs one compactor without a ring (sharding_enabled is false).';

/** `compactor.sharding_ring`: Cortex 1.21's keys and flags, so its configs load. */
const compactorRingConfig = section({
  kvstore: kvConfig('compactor.ring.'),
  heartbeatPeriod: duration({ flag: ringFlag('heartbeat-period'), default: '5s', category: 'advanced', help: `Period of heartbeats to the compactor ring. ${unused}` }),
  heartbeatTimeout: duration({ flag: ringFlag('heartbeat-timeout'), default: '1m', category: 'advanced', help: `Heartbeat timeout of the compactor ring. ${unused}` }),
  autoForgetDelay: duration({ flag: 'compactor.auto-forget-delay', default: '2m', category: 'advanced', help: `Time after which an unhealthy compactor is removed from the ring. ${unused}` }),
  detailedMetricsEnabled: bool({ flag: ringFlag('detailed-metrics-enabled'), default: true, category: 'advanced', help: `Per-instance ring metrics. ${unused}` }),
  waitStabilityMinDuration: duration({ flag: ringFlag('wait-stability-min-duration'), default: '1m', category: 'advanced', help: `Minimum wait for ring stability at startup. ${unused}` }),
  waitStabilityMaxDuration: duration({ flag: ringFlag('wait-stability-max-duration'), default: '5m', category: 'advanced', help: `Maximum wait for ring stability at startup. ${unused}` }),
  instanceId: string({ flag: ringFlag('instance-id'), default: '', category: 'advanced', help: `ID of this compactor in the ring. ${unused}` }),
  instanceAddr: string({ flag: ringFlag('instance-addr'), default: '', category: 'advanced', help: `Address of this compactor in the ring. ${unused}` }),
  instancePort: int({ flag: ringFlag('instance-port'), default: 0, min: 0, category: 'advanced', help: `Port of this compactor in the ring. ${unused}` }),
  instanceInterfaceNames: stringList({ flag: ringFlag('instance-interface-names'), default: ['eth0', 'en0'], category: 'advanced', help: `Network interfaces to take this compactor's address from. ${unused}` }),
  tokensFilePath: string({ flag: ringFlag('tokens-file-path'), default: '', category: 'advanced', help: `File that keeps this compactor's tokens. ${unused}` }),
  unregisterOnShutdown: bool({ flag: ringFlag('unregister-on-shutdown'), default: true, category: 'advanced', help: `Leave the ring on shutdown. ${unused}` }),
  waitActiveInstanceTimeout: duration({ flag: ringFlag('wait-active-instance-timeout'), default: '10m', category: 'advanced', help: `Time to wait for this compactor to become ACTIVE. ${unused}` }),
});

export const compactorConfig = section({
  blockRanges: durationList({
    flag: 'compactor.block-ranges',
    default: ['2h', '12h', '24h'],
    help: 'List of compaction time ranges: the first is the ingesters\' block range, each next one a multiple of the previous; adjacent blocks are compacted into the next range once it is complete.',
  }),
  dataDir: string({
    flag: 'compactor.data-dir',
    default: './data/compactor',
    help: 'Directory where the compactor downloads source blocks and writes the compacted block before uploading it. Safe to delete while stopped.',
  }),
  compactionInterval: duration({
    flag: 'compactor.compaction-interval',
    default: '1h',
    help: 'How often the compactor looks for blocks to compact, for every tenant (and once at start).',
  }),
  deletionDelay: duration({
    flag: 'compactor.deletion-delay',
    default: '12h',
    help: 'Time between a block being marked for deletion and its removal from the bucket, so queriers and store-gateways stop using it first. Also the age after which partial blocks (no meta.json) are removed.',
  }),
  shardingEnabled: bool({
    flag: 'compactor.sharding-enabled',
    default: false,
    help: 'Shard tenants across compactors (Cortex). Not supported: Myelin runs exactly one compactor, so only false is valid.',
  }),
  // Cortex's compactor ring, checked key by key; unused, as in Cortex without sharding_enabled.
  shardingRing: compactorRingConfig,
  cleanupInterval: duration({
    flag: 'compactor.cleanup-interval',
    default: '15m',
    help: 'How often the blocks cleaner deletes marked and partial blocks, applies -compactor.blocks-retention-period and rewrites every tenant\'s bucket index.',
  }),
});
export type CompactorConfig = ConfigOf<typeof compactorConfig>;

/** Throws a ConfigError naming `compactor.<key>` for values the compactor cannot work with. */
/**
 * Checks the compactor's options; `ignoreDeletionMarksDelay` is the readers' (blocks_storage.
 * bucket_store.ignore_deletion_mark_delay): they keep using a marked block that long, so it must
 * not be deleted before.
 */
export function validateCompactorConfig(cfg: CompactorConfig, ignoreDeletionMarksDelay = 0): void {
  const r = cfg.blockRanges;
  if (r.length === 0) throw new ConfigError('compactor.block_ranges', 'at least one range is required');
  for (let i = 0; i < r.length; i++) {
    if (r[i] <= 0) throw new ConfigError('compactor.block_ranges', `range ${formatDuration(r[i])} must be positive`);
    if (i > 0 && (r[i] <= r[i - 1] || r[i] % r[i - 1] !== 0)) {
      throw new ConfigError('compactor.block_ranges', `range ${formatDuration(r[i])} must be a larger multiple of the previous one (${formatDuration(r[i - 1])})`);
    }
  }
  if (cfg.dataDir === '') throw new ConfigError('compactor.data_dir', 'must not be empty');
  if (cfg.shardingEnabled) throw new ConfigError('compactor.sharding_enabled', 'not supported: run exactly one compactor with sharding_enabled: false');
  if (cfg.compactionInterval <= 0) throw new ConfigError('compactor.compaction_interval', 'must be positive');
  if (cfg.cleanupInterval <= 0) throw new ConfigError('compactor.cleanup_interval', 'must be positive');
  if (cfg.deletionDelay <= 0) throw new ConfigError('compactor.deletion_delay', 'must be positive: marked blocks must outlive the readers\' next sync');
  if (cfg.deletionDelay <= ignoreDeletionMarksDelay) {
    throw new ConfigError('compactor.deletion_delay', `${formatDuration(cfg.deletionDelay)} must be longer than blocks_storage.bucket_store.ignore_deletion_mark_delay (${formatDuration(ignoreDeletionMarksDelay)}): queriers and store-gateways still read a marked block that long`);
  }
}
