// Metrics around any bucket, named after Thanos objstore's with the myelin_ prefix. The `bucket`
// label names the user of the bucket (ingester, store-gateway, ...) so that components sharing one
// process and one Registry stay apart. A missing object is an expected outcome of get/attributes,
// not a failure (Thanos isOpFailureExpected).
import type { Readable } from 'node:stream';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sharedCounter, sharedGauge, sharedHistogram } from '../kv/index.js';
import type { Bucket, IterOptions, ObjectAttributes } from './bucket.js';

export const BucketOp = {
  Iter: 'iter',
  Get: 'get',
  GetRange: 'get_range',
  Exists: 'exists',
  Attributes: 'attributes',
  Upload: 'upload',
  Delete: 'delete',
} as const;
export type BucketOp = (typeof BucketOp)[keyof typeof BucketOp];

interface Metrics {
  ops: Counter<'bucket' | 'operation'>;
  failures: Counter<'bucket' | 'operation'>;
  duration: Histogram<'bucket' | 'operation'>;
  fetchedBytes: Counter<'bucket' | 'operation'>;
  lastUpload: Gauge<'bucket'>;
}

function metrics(reg: Registry): Metrics {
  const labelNames = ['bucket', 'operation'] as const;
  return {
    ops: sharedCounter(reg, { name: 'myelin_objstore_bucket_operations_total', help: 'Bucket operations attempted, by operation.', labelNames }),
    failures: sharedCounter(reg, {
      name: 'myelin_objstore_bucket_operation_failures_total',
      help: 'Bucket operations that failed, by operation (a missing object on get/attributes is not a failure).',
      labelNames,
    }),
    duration: sharedHistogram(reg, {
      name: 'myelin_objstore_bucket_operation_duration_seconds',
      help: 'Duration of successful bucket operations, by operation.',
      labelNames,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    fetchedBytes: sharedCounter(reg, {
      name: 'myelin_objstore_bucket_operation_fetched_bytes_total',
      help: 'Bytes read from the bucket by get and get_range.',
      labelNames,
    }),
    lastUpload: sharedGauge(reg, {
      name: 'myelin_objstore_bucket_last_successful_upload_time',
      help: 'Unix time (seconds) of the last successful upload.',
      labelNames: ['bucket'],
    }),
  };
}

class InstrumentedBucket implements Bucket {
  private readonly inner: Bucket;
  private readonly name: string;
  private readonly m: Metrics;

  constructor(inner: Bucket, reg: Registry, name: string) {
    this.inner = inner;
    this.name = name;
    this.m = metrics(reg);
    for (const op of Object.values(BucketOp)) {
      this.m.ops.inc({ bucket: name, operation: op }, 0);
      this.m.failures.inc({ bucket: name, operation: op }, 0);
    }
  }

  private async track<T>(op: BucketOp, fn: () => Promise<T>, notFoundExpected = false): Promise<T> {
    const labels = { bucket: this.name, operation: op };
    this.m.ops.inc(labels);
    const start = performance.now();
    try {
      const res = await fn();
      this.m.duration.observe(labels, (performance.now() - start) / 1000);
      if (Buffer.isBuffer(res)) this.m.fetchedBytes.inc(labels, res.length);
      return res;
    } catch (err) {
      if (!(notFoundExpected && this.inner.isObjNotFoundErr(err))) this.m.failures.inc(labels);
      throw err;
    }
  }

  iter(prefix: string, fn: (name: string) => void | Promise<void>, opts?: IterOptions): Promise<void> {
    return this.track(BucketOp.Iter, () => this.inner.iter(prefix, fn, opts));
  }

  get(name: string): Promise<Buffer> {
    return this.track(BucketOp.Get, () => this.inner.get(name), true);
  }

  getRange(name: string, offset: number, length: number): Promise<Buffer> {
    return this.track(BucketOp.GetRange, () => this.inner.getRange(name, offset, length), true);
  }

  exists(name: string): Promise<boolean> {
    return this.track(BucketOp.Exists, () => this.inner.exists(name));
  }

  attributes(name: string): Promise<ObjectAttributes> {
    return this.track(BucketOp.Attributes, () => this.inner.attributes(name), true);
  }

  async upload(name: string, body: Buffer | Readable): Promise<void> {
    await this.track(BucketOp.Upload, () => this.inner.upload(name, body));
    this.m.lastUpload.set({ bucket: this.name }, Date.now() / 1000);
  }

  delete(name: string): Promise<void> {
    return this.track(BucketOp.Delete, () => this.inner.delete(name), true);
  }

  isObjNotFoundErr(err: unknown): boolean {
    return this.inner.isObjNotFoundErr(err);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `b` with operation, failure, duration and fetched-bytes metrics; `name` is the `bucket` label. */
export function instrumentedBucket(b: Bucket, reg: Registry, name: string): Bucket {
  return new InstrumentedBucket(b, reg, name);
}
