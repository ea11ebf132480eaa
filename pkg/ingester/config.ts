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
  flushBlocksOnShutdown: bool({ flag: 'blocks-storage.tsdb.flush-blocks-on-shutdown', default: false, help: 'Compact the whole head into blocks and ship them on shutdown when no transfer happened. Off (as in Cortex): the WAL keeps the head across a restart, and the next start replays it.' }),
});
export type TsdbConfig = ConfigOf<typeof tsdbConfig>;
