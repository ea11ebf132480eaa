// The `distributor` config section. Names, flags and defaults are Cortex's
// (pkg/distributor/distributor.go Config, ha_tracker.go HATrackerConfig, ring.go RingConfig).
import { bool, bytes, ConfigError, duration, section, type ConfigOf } from '../flagext/index.js';
import { kvConfig } from '../kv/index.js';
import { ringWithInstanceConfig } from '../ring/index.js';

export const distributorConfig = section({
  pool: section({
    clientCleanupPeriod: duration({ flag: 'distributor.client-cleanup-period', default: '15s', help: 'How often to close clients of ingesters that left the ring or fail their health check.' }),
    healthCheckIngesters: bool({ flag: 'distributor.health-check-ingesters', default: true, help: 'Health-check the ingester clients every -distributor.client-cleanup-period, closing the failing ones.' }),
  }),
  haTracker: section({
    enableHaTracker: bool({ flag: 'distributor.ha-tracker.enable', default: false, help: 'Run the HA tracker; tenants opt in with accept_ha_samples (-distributor.ha-tracker.enable-for-all-users).' }),
    haTrackerUpdateTimeout: duration({ flag: 'distributor.ha-tracker.update-timeout', default: '15s', help: 'Refresh the elected replica\'s timestamp in the KV store at most this often.' }),
    haTrackerUpdateTimeoutJitterMax: duration({ flag: 'distributor.ha-tracker.update-timeout-jitter-max', default: '5s', help: 'Random jitter added to -distributor.ha-tracker.update-timeout, so distributors do not refresh together.' }),
    haTrackerFailoverTimeout: duration({ flag: 'distributor.ha-tracker.failover-timeout', default: '30s', help: 'Elect another replica when the elected one sent nothing for this long; must exceed update-timeout + jitter.' }),
    kvstore: kvConfig('distributor.ha-tracker.', 'ha-tracker/'),
  }),
  maxRecvMsgSize: bytes({ flag: 'distributor.max-recv-msg-size', default: 100 << 20, help: 'Largest push request accepted, compressed and decompressed, in bytes.' }),
  remoteTimeout: duration({ flag: 'distributor.remote-timeout', default: '2s', help: 'Timeout of the push to the ingesters.' }),
  shardByAllLabels: bool({
    flag: 'distributor.shard-by-all-labels',
    default: true,
    help: 'Shard series across ingesters by all their labels. Myelin always does (Cortex\'s default, false, shards by metric name); false is accepted with a warning and has no effect.',
    notice: (v) => (v ? undefined : 'ignored: Myelin always shards series by all labels'),
  }),
  // The distributors' own ring, with this distributor's entry (instance_id, instance_addr, ...).
  ring: ringWithInstanceConfig('distributor.ring.'),
});
export type DistributorConfig = ConfigOf<typeof distributorConfig>;

/** Throws a ConfigError when the HA tracker's timeouts cannot work together (Cortex HATrackerConfig.Validate). */
export function validateDistributorConfig(cfg: DistributorConfig): void {
  const ha = cfg.haTracker;
  if (!ha.enableHaTracker) return;
  if (ha.haTrackerFailoverTimeout < ha.haTrackerUpdateTimeout + ha.haTrackerUpdateTimeoutJitterMax + 1000) {
    throw new ConfigError('distributor.ha_tracker.ha_tracker_failover_timeout',
      'must be at least 1s longer than ha_tracker_update_timeout + ha_tracker_update_timeout_jitter_max (-distributor.ha-tracker.failover-timeout)');
  }
}
