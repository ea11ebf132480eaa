import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Head metrics, after Prometheus' prometheus_tsdb_head_* (renamed myelin_tsdb_*). */
export class HeadMetrics {
  readonly series: Gauge;
  readonly seriesCreated: Counter;
  readonly seriesRemoved: Counter;
  readonly samplesAppended: Counter;
  readonly oooSamplesAppended: Counter;
  readonly oooChunksCreated: Counter;
  readonly rejectedSamples: Counter<'reason'>;
  readonly chunks: Gauge;
  readonly chunksCreated: Counter;
  readonly chunksRemoved: Counter;
  readonly truncations: Counter;
  readonly walCorruptions: Counter;
  readonly walReplayUnknownRefs: Counter;
  readonly walReplayDuration: Gauge;
  readonly checkpoints: Counter;
  readonly checkpointFailures: Counter;

  constructor(reg: Registry | undefined) {
    const registers = reg === undefined ? [] : [reg];
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.series = new Gauge({ name: 'myelin_tsdb_head_series', help: 'Series in the head.', registers });
    this.seriesCreated = counter('myelin_tsdb_head_series_created_total', 'Series created in the head.');
    this.seriesRemoved = counter('myelin_tsdb_head_series_removed_total', 'Series removed from the head by garbage collection.');
    this.samplesAppended = counter('myelin_tsdb_head_samples_appended_total', 'Samples committed to the head.');
    this.oooSamplesAppended = counter('myelin_tsdb_head_out_of_order_samples_appended_total', 'Out-of-order samples committed to the head (within the out-of-order time window).');
    this.oooChunksCreated = counter('myelin_tsdb_head_out_of_order_chunks_created_total', 'Out-of-order chunks cut when a series\' out-of-order buffer reached its capacity.');
    this.rejectedSamples = new Counter({
      name: 'myelin_tsdb_head_rejected_samples_total',
      help: 'Samples the head refused, by reason (out_of_order_sample, duplicate_sample_for_timestamp, out_of_bounds, too_old_sample, series limits).',
      labelNames: ['reason'],
      registers,
    });
    this.chunks = new Gauge({ name: 'myelin_tsdb_head_chunks', help: 'Chunks in the head (completed and open).', registers });
    this.chunksCreated = counter('myelin_tsdb_head_chunks_created_total', 'Chunks cut in the head.');
    this.chunksRemoved = counter('myelin_tsdb_head_chunks_removed_total', 'Chunks removed from the head by truncation.');
    this.truncations = counter('myelin_tsdb_head_truncations_total', 'Head truncations.');
    this.walCorruptions = counter('myelin_tsdb_wal_corruptions_total', 'WAL corruptions (torn or damaged tails) found and repaired on replay.');
    this.walReplayUnknownRefs = counter('myelin_tsdb_wal_replay_unknown_refs_total', 'WAL samples skipped on replay because their series record was missing.');
    this.walReplayDuration = new Gauge({ name: 'myelin_tsdb_wal_replay_duration_seconds', help: 'Duration of the last WAL replay.', registers });
    this.checkpoints = counter('myelin_tsdb_checkpoint_creations_total', 'WAL checkpoints created.');
    this.checkpointFailures = counter('myelin_tsdb_checkpoint_creations_failed_total', 'WAL checkpoints that could not be created.');
  }
}
