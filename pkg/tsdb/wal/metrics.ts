import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** WAL metrics (Prometheus' prometheus_tsdb_wal_* renamed to myelin_tsdb_wal_*). */
export class WalMetrics {
  readonly writes: Counter;
  readonly bytes: Counter;
  readonly segment: Gauge;
  readonly fsyncDuration: Histogram;
  readonly writeFailures: Counter;
  readonly failed: Gauge;

  constructor(reg: Registry | undefined) {
    const registers = reg === undefined ? [] : [reg];
    this.writes = new Counter({ name: 'myelin_tsdb_wal_writes_total', help: 'Writes (each one group of commits) to the WAL.', registers });
    this.bytes = new Counter({ name: 'myelin_tsdb_wal_written_bytes_total', help: 'Bytes written to the WAL, framing included.', registers });
    this.segment = new Gauge({ name: 'myelin_tsdb_wal_segment_current', help: 'Index of the WAL segment being written.', registers });
    this.writeFailures = new Counter({ name: 'myelin_tsdb_wal_writes_failed_total', help: 'WAL writes that failed (the WAL refuses writes until it can write again).', registers });
    this.failed = new Gauge({ name: 'myelin_tsdb_wal_failed', help: '1 while the WAL cannot write after a failed write, else 0.', registers });
    this.fsyncDuration = new Histogram({
      name: 'myelin_tsdb_wal_fsync_duration_seconds',
      help: 'Duration of WAL fdatasync calls.',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
  }
}
