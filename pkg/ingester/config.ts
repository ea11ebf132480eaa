import { bool, duration, int, oneOf, section, string } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';
import { lifecyclerConfig, ringConfig } from '../ring/index.js';

/** The `ingester` section: Cortex's names. The ring is the ingester ring every component reads. */
export const ingesterConfig = section({
  lifecycler: section({
    ring: ringConfig(''),
    ...lifecyclerConfig('ingester.').fields,
  }),
  maxTransferRetries: int({ flag: 'ingester.max-transfer-retries', default: 10, min: 0, help: 'Attempts to find a PENDING ingester to hand in-memory series to on shutdown; 0 disables transfer (the ingester flushes instead).' }),
  transferTimeout: duration({ flag: 'ingester.transfer-timeout', default: '1m', help: 'How long a shutting-down ingester waits in all for a PENDING ingester and the transfer to it before flushing instead.' }),
  shards: int({ flag: 'ingester.shards', default: 1, min: 0, help: 'Ingesters this process runs, each in a worker thread of its own, so ingestion uses that many cores. Each shard is a full member of the ingester ring: ID <lifecycler ID>-shard-<k>, TSDBs and WALs under <tsdb dir>/shard-<k>, tokens file <path>-shard-<k>, and a gRPC port of its own (see -ingester.shards-grpc-base-port). 1 (the default) runs the ingester in the main thread exactly as a single ingester (plain ID, directory and the process\'s gRPC port); 0 runs one shard per core (os.availableParallelism()) when the process runs the distributor too (-target=all), else 1. Per-ingester (local) limits apply to each shard. Two shards on two cores took 1.25–1.31× the samples/s of one shard pinned to one core, at 1.3× the CPU per sample and more memory per series, and every query asks each shard (bench/ingest, docs/architecture.md), so one shard stays the default.' }),
  shardsGrpcBasePort: int({ flag: 'ingester.shards-grpc-base-port', default: 0, min: 0, help: 'With more than one shard, shard k serves gRPC on this port + k (on -server.grpc-listen-address); 0 picks free ports. The ring always holds the real address.' }),
  activeSeriesMetricsIdleTimeout: duration({ flag: 'ingester.active-series-metrics-idle-timeout', default: '10m', help: 'A series is active while its newest sample is at most this old: the cardinality API counts only those with count_method=active, and lists them at /api/v1/cardinality/active_series.' }),
  rateUpdatePeriod: duration({ flag: 'ingester.rate-update-period', default: '15s', category: 'advanced', help: 'Period with which to update the per-tenant ingestion rates.' }),
});
export type IngesterConfig = ConfigOf<typeof ingesterConfig>;

/** `blocks_storage.tsdb`: where and how ingesters keep their per-tenant TSDBs (Cortex's names). */
export const tsdbConfig = section({
  dir: string({ flag: 'blocks-storage.tsdb.dir', default: './data/tsdb', help: 'Local directory for the per-tenant TSDBs (WAL and blocks not yet deleted) of the ingester.' }),
  blockRangesPeriod: duration({ flag: 'blocks-storage.tsdb.block-ranges-period', default: '2h', help: 'TSDB block range: the head is cut into blocks of this length.' }),
  retentionPeriod: duration({ flag: 'blocks-storage.tsdb.retention-period', default: '13h', help: 'Local blocks are deleted once shipped and older than this; keep it at or above the querier\'s query_ingesters_within.' }),
  shipInterval: duration({ flag: 'blocks-storage.tsdb.ship-interval', default: '1m', help: 'How often new blocks are uploaded to the bucket; 0 disables shipping.' }),
  headCompactionInterval: duration({ flag: 'blocks-storage.tsdb.head-compaction-interval', default: '1m', help: 'How often the ingester checks whether a head is compactable.' }),
  closeIdleTsdbTimeout: duration({ flag: 'blocks-storage.tsdb.close-idle-tsdb-timeout', default: '0s', help: 'Close and release a tenant\'s TSDB after this long without writes or queries, once its data is shipped; 0 disables it.' }),
  walFsync: oneOf(['none', 'segment', 'interval', 'batch'], { flag: 'blocks-storage.tsdb.wal-fsync', default: 'segment', help: 'When the WAL is fsynced; see docs/tsdb.md for what each choice may lose on a machine crash.' }),
  walSegmentSizeBytes: int({ flag: 'blocks-storage.tsdb.wal-segment-size-bytes', default: 128 << 20, min: 65536, category: 'advanced', help: 'WAL segment size.' }),
  outOfOrderCapMax: int({ flag: 'blocks-storage.tsdb.out-of-order-cap-max', default: 32, min: 1, max: 255, category: 'advanced', help: 'Out-of-order samples a series keeps in its sorted buffer before the buffer is cut into a chunk, at most 255 as in Prometheus (used with the per-tenant out_of_order_time_window).' }),
  flushBlocksOnShutdown: bool({ flag: 'blocks-storage.tsdb.flush-blocks-on-shutdown', default: false, help: 'Compact the whole head into blocks and ship them on shutdown when no transfer happened. Off (as in Cortex): the WAL keeps the head across a restart, and the next start replays it.' }),
});
export type TsdbConfig = ConfigOf<typeof tsdbConfig>;
