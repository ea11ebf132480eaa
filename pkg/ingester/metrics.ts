import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { discardedExemplarsCounter, discardedSamplesCounter } from '../limits/index.js';

/** The ingester's own metrics, named as Cortex's with the myelin_ prefix. */
export class IngesterMetrics {
  readonly ingestedSamples: Counter;
  readonly ingestedSamplesFailures: Counter;
  readonly discardedSamples: Counter<'reason' | 'user'>;
  readonly oooSamplesAppended: Counter<'user'>;
  readonly ingestedExemplars: Counter;
  readonly ingestedExemplarsFailures: Counter;
  readonly discardedExemplars: Counter<'reason' | 'user'>;
  readonly memoryUsers: Gauge;
  readonly memorySeries: Gauge;
  readonly seriesCreated: Counter<'user'>;
  readonly shipperUploads: Counter;
  readonly shipperUploadFailures: Counter;
  readonly compactionFailures: Counter;
  readonly tenantsDeleted: Counter;
  readonly flushes: Counter<'reason' | 'outcome'>;
  readonly flushDuration: Histogram;
  readonly transfers: Counter<'direction' | 'outcome'>;
  readonly transferDuration: Histogram<'direction'>;
  readonly transferredSeries: Counter<'direction'>;
  readonly walReplayDuration: Gauge;
  readonly queriedSeries: Histogram;
  readonly queriedChunks: Histogram;

  constructor(reg: Registry, memory: { users: () => number; series: () => number }) {
    const registers = [reg];
    this.ingestedSamples = new Counter({ name: 'myelin_ingester_ingested_samples_total', help: 'The total number of samples ingested (durable in the WAL).', registers });
    this.ingestedSamplesFailures = new Counter({ name: 'myelin_ingester_ingested_samples_failures_total', help: 'The total number of samples that errored on ingestion.', registers });
    this.discardedSamples = discardedSamplesCounter(reg);
    this.oooSamplesAppended = new Counter({ name: 'myelin_ingester_tsdb_out_of_order_samples_appended_total', help: 'Out-of-order samples stored per tenant (within the tenant\'s out_of_order_time_window; also counted in myelin_ingester_ingested_samples_total).', labelNames: ['user'], registers });
    this.ingestedExemplars = new Counter({ name: 'myelin_ingester_ingested_exemplars_total', help: 'The total number of exemplars ingested (durable in the WAL).', registers });
    this.ingestedExemplarsFailures = new Counter({ name: 'myelin_ingester_ingested_exemplars_failures_total', help: 'The total number of exemplars that errored on ingestion (or were dropped because exemplars are off for the tenant).', registers });
    this.discardedExemplars = discardedExemplarsCounter(reg);
    this.memoryUsers = new Gauge({ name: 'myelin_ingester_memory_users', help: 'The current number of tenants with a TSDB open in memory.', registers, collect() { this.set(memory.users()); } });
    this.memorySeries = new Gauge({ name: 'myelin_ingester_memory_series', help: 'The current number of series in memory.', registers, collect() { this.set(memory.series()); } });
    this.seriesCreated = new Counter({ name: 'myelin_ingester_memory_series_created_total', help: 'The total number of series that were created per tenant.', labelNames: ['user'], registers });
    this.shipperUploads = new Counter({ name: 'myelin_ingester_shipper_uploads_total', help: 'Blocks uploaded to the bucket.', registers });
    this.shipperUploadFailures = new Counter({ name: 'myelin_ingester_shipper_upload_failures_total', help: 'Block uploads that failed (retried on the next ship interval).', registers });
    this.tenantsDeleted = new Counter({ name: 'myelin_ingester_deleted_tenants_total', help: 'Tenant TSDBs (head, WAL and local blocks) dropped because the tenant was marked for deletion.', registers });
    this.compactionFailures = new Counter({ name: 'myelin_ingester_tsdb_compactions_failed_total', help: 'Head compactions that failed (a full disk, say); retried every head compaction interval.', registers });
    this.flushes = new Counter({ name: 'myelin_ingester_flushes_total', help: 'Flushes of whole heads to blocks, by what asked for them and outcome.', labelNames: ['reason', 'outcome'], registers });
    this.flushDuration = new Histogram({ name: 'myelin_ingester_flush_duration_seconds', help: 'Time to flush every tenant head to blocks and ship them.', buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300], registers });
    this.transfers = new Counter({ name: 'myelin_ingester_transfers_total', help: 'Transfers of in-memory series on shutdown, by direction (sent, received) and outcome.', labelNames: ['direction', 'outcome'], registers });
    this.transferDuration = new Histogram({ name: 'myelin_ingester_transfer_duration_seconds', help: 'Time taken to transfer series to or from another ingester.', labelNames: ['direction'], buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300], registers });
    this.transferredSeries = new Counter({ name: 'myelin_ingester_transferred_series_total', help: 'Series transferred to or from another ingester.', labelNames: ['direction'], registers });
    this.walReplayDuration = new Gauge({ name: 'myelin_ingester_wal_replay_duration_seconds', help: 'Time the ingester took at startup to open every tenant TSDB and replay their WALs.', registers });
    // Per QueryStream call: what it sent before it ended (a limit stops it early).
    const perQuery = [10, 100, 1000, 10_000, 100_000, 1_000_000];
    this.queriedSeries = new Histogram({ name: 'myelin_ingester_queried_series', help: 'The number of series one QueryStream call sent.', buckets: perQuery, registers });
    this.queriedChunks = new Histogram({ name: 'myelin_ingester_queried_chunks', help: 'The number of chunks one QueryStream call sent.', buckets: perQuery, registers });
  }
}
