// Config of the ruler (`ruler` section, flags -ruler.*) and of its rule storage (`ruler_storage`,
// flags -ruler-storage.*), with Cortex's names and defaults where Myelin has the feature.
import { storageBucketFields, unsupportedBackendFields, validateS3Config } from '../bucket/index.js';
import { ringWithInstanceConfig } from '../ring/index.js';
import { validateClientTls } from '../tls/index.js';
import { ConfigError, bool, duration, int, mapping, oneOf, section, string, type ConfigOf } from '../flagext/index.js';
import { alertmanagerClientFields } from './alertmanager-client.js';

export const rulerStorageBackends = ['filesystem', 'gcs', 's3', 'local'] as const;

export const rulerStorageConfig = section({
  ...storageBucketFields('ruler-storage', 'rule groups (under rules/<tenant>/)', './data/rules'),
  ...unsupportedBackendFields,
  backend: oneOf(rulerStorageBackends, {
    flag: 'ruler-storage.backend',
    default: 'filesystem',
    refused: Object.fromEntries(['azure', 'swift', 'configdb'].map((b) => [b, `${b} is not supported yet: use filesystem, gcs, s3 or local`])),
    help: `Where rule groups are stored: ${rulerStorageBackends.join(', ')}. local reads Prometheus rule files from -ruler-storage.local.directory and is read-only.`,
  }),
  local: section({
    directory: string({
      flag: 'ruler-storage.local.directory',
      default: '',
      help: 'Directory of rule files for -ruler-storage.backend=local: <directory>/<tenant>/<namespace> (each a Prometheus rule file). The configuration API cannot change them.',
    }),
  }),
});
export type RulerStorageConfig = ConfigOf<typeof rulerStorageConfig>;

export const rulerConfig = section({
  externalUrl: string({ flag: 'ruler.external.url', default: '', yaml: 'external_url', help: 'URL of the ruler as users reach it: the alerts\' generatorURL points there, and $externalURL in templates is it.' }),
  externalLabels: mapping<Record<string, string>>({ default: {}, help: 'Labels added to every alert sent, and the value of $externalLabels in templates.' }),
  evaluationInterval: duration({ flag: 'ruler.evaluation-interval', default: '1m', help: 'How often rule groups without an interval of their own are evaluated.' }),
  pollInterval: duration({ flag: 'ruler.poll-interval', default: '1m', help: 'How often the ruler reloads every tenant\'s rule groups from the rule storage (changes through this ruler\'s API apply at once).' }),
  alertmanagerUrl: string({
    flag: 'ruler.alertmanager-url',
    default: '',
    help: 'Comma-separated list of Alertmanager URLs to send alerts to (Prometheus\' API v2, POST <url>/api/v2/alerts); empty sends none. dns+http://host:port/path sends to every address host resolves to, dnssrv+http://_service._proto.name/path to every SRV target.',
  }),
  enableAlertmanagerDiscovery: bool({
    flag: 'ruler.alertmanager-discovery',
    default: false,
    help: 'Look up every -ruler.alertmanager-url entry without a dns+ or dnssrv+ prefix as a DNS SRV name (as if written dnssrv+<url>), as Cortex does.',
  }),
  enableAlertmanagerV2: bool({
    flag: 'ruler.alertmanager-use-v2',
    default: true,
    yaml: 'enable_alertmanager_v2',
    help: 'Cortex\'s switch to Alertmanager\'s API v2: Myelin always uses it (false is ignored with a warning).',
    notice: (v) => (v ? undefined : 'ignored: Myelin always sends alerts with Alertmanager\'s API v2'),
  }),
  alertmanagerClient: section(alertmanagerClientFields),
  alertmanagerRefreshInterval: duration({ flag: 'ruler.alertmanager-refresh-interval', default: '1m', help: 'How often the dns+ and dnssrv+ Alertmanager names are looked up again.' }),
  notificationQueueCapacity: int({ flag: 'ruler.notification-queue-capacity', default: 10000, min: 1, help: 'Capacity of the queue of alerts waiting to be sent; past it the oldest are dropped and counted.' }),
  notificationTimeout: duration({ flag: 'ruler.notification-timeout', default: '10s', help: 'HTTP timeout of a notification to an Alertmanager.' }),
  resendDelay: duration({ flag: 'ruler.resend-delay', default: '1m', help: 'Minimum time between two notifications of a firing alert (Prometheus\' --rules.alert.resend-delay).' }),
  forOutageTolerance: duration({ flag: 'ruler.for-outage-tolerance', default: '1h', help: 'Longest outage of the ruler after which the for-state of pending and firing alerts is still restored from ALERTS_FOR_STATE.' }),
  forGracePeriod: duration({ flag: 'ruler.for-grace-period', default: '10m', help: 'Minimum time an alert restored after an outage still waits before it fires again, when its `for` is at least this long.' }),
  enableApi: bool({ flag: 'experimental.ruler.enable-api', default: true, yaml: 'enable_api', help: 'Serve the rule configuration API (/api/v1/rules/...). Cortex\'s default is false; Myelin serves it unless turned off.' }),
  enableSharding: bool({
    flag: 'ruler.enable-sharding',
    default: false,
    help: 'Shard rule groups over the rulers of the ruler ring (-ruler.ring.*): each group is evaluated by the one healthy ruler that owns its token. Without it every ruler evaluates every group: run one.',
  }),
  shardingStrategy: oneOf(['default'], {
    flag: 'ruler.sharding-strategy',
    default: 'default',
    refused: { 'shuffle-sharding': 'shuffle-sharding is not supported yet: use default (every ruler of the ring may evaluate every tenant\'s groups)' },
    help: 'How rule groups are sharded with -ruler.enable-sharding: default (over every ruler of the ring). Cortex\'s shuffle-sharding is refused.',
  }),
  ring: ringWithInstanceConfig('ruler.ring.'),
  // Cortex options that mean nothing to Myelin's ruler: accepted, with a warning when changed.
  rulePath: string({
    flag: 'ruler.rule-path', default: '/rules', category: 'advanced',
    help: 'Cortex\'s directory of temporary rule files: Myelin keeps rule groups in memory and writes none (ignored).',
    notice: (v) => (v === '/rules' ? undefined : 'ignored: Myelin writes no temporary rule files'),
  }),
  flushPeriod: duration({
    flag: 'ruler.flush-period', default: '1m', category: 'advanced',
    help: 'Cortex\'s period of flushing rule groups of its rule managers: Myelin has none (ignored).',
    notice: (v) => (v === 60_000 ? undefined : 'ignored: Myelin\'s ruler has no rule managers to flush'),
  }),
  searchPendingFor: duration({
    flag: 'ruler.search-pending-for', default: '5m', category: 'advanced',
    help: 'Cortex\'s time to look for a PENDING ruler to hand over to at shutdown: rulers hand nothing over (ignored).',
    notice: (v) => (v === 300_000 ? undefined : 'ignored: rulers hand nothing over at shutdown; a leaving ruler\'s groups move by the ring'),
  }),
  maxResultBytes: int({
    flag: 'ruler.max-rule-result-bytes',
    default: 8 << 20,
    min: 1,
    category: 'advanced',
    help: 'Largest answer (JSON bytes) of one rule\'s query that the ruler accepts; a larger one fails the rule\'s evaluation. Bounds the work of a rule on the ruler\'s main thread.',
  }),
});
export type RulerConfig = ConfigOf<typeof rulerConfig>;

/** Throws a ConfigError naming the key for values the ruler cannot work with. */
export function validateRulerConfig(cfg: RulerConfig, storage: RulerStorageConfig): void {
  if (cfg.evaluationInterval <= 0) throw new ConfigError('ruler.evaluation_interval', 'must be positive');
  if (cfg.pollInterval <= 0) throw new ConfigError('ruler.poll_interval', 'must be positive');
  for (const u of alertmanagerUrls(cfg.alertmanagerUrl)) {
    if (!URL.canParse(u.replace(/^dns(srv)?\+/, ''))) throw new ConfigError('ruler.alertmanager_url', `${JSON.stringify(u)} is not a URL`);
  }
  validateClientTls({ ...cfg.alertmanagerClient, tlsEnabled: false }, 'ruler.alertmanager_client');
  if (storage.backend === 'local' && storage.local.directory === '') throw new ConfigError('ruler_storage.local.directory', 'is required with backend local');
  if (storage.backend === 'filesystem' && storage.filesystem.dir === '') throw new ConfigError('ruler_storage.filesystem.dir', 'must not be empty');
  if (storage.backend === 'gcs' && storage.gcs.bucketName === '') throw new ConfigError('ruler_storage.gcs.bucket_name', 'is required with backend gcs');
  if (storage.backend === 's3') validateS3Config(storage.s3, 'ruler_storage.s3');
}

/**
 * The entries of a comma-separated -ruler.alertmanager-url; with -ruler.alertmanager-discovery
 * the plain ones are SRV names.
 */
export function alertmanagerUrls(list: string, srvDiscovery = false): string[] {
  const urls = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return srvDiscovery ? urls.map((u) => (/^dns(srv)?\+/.test(u) ? u : `dnssrv+${u}`)) : urls;
}
