import type { Registry } from 'prom-client';
import type { Bucket } from './bucket.js';
import type { BucketConfig } from './config.js';
import { GcsBucket } from './gcs/gcs-bucket.js';
import { FilesystemBucket } from './filesystem/filesystem-bucket.js';
import { S3Bucket } from './s3/s3-bucket.js';
import { instrumentedBucket } from './instrumented-bucket.js';

export interface BucketDeps {
  reg: Registry;
  /** The `bucket` label of the metrics: the component using the bucket (ingester, store-gateway, ...). */
  name: string;
}

/** The configured backend, instrumented. */
export function newBucket(cfg: Pick<BucketConfig, 'backend' | 'filesystem' | 'gcs' | 's3'>, deps: BucketDeps): Bucket {
  let b: Bucket;
  switch (cfg.backend) {
    case 'filesystem':
      b = new FilesystemBucket(cfg.filesystem.dir);
      break;
    case 'gcs':
      b = new GcsBucket(cfg.gcs);
      break;
    case 's3':
      b = new S3Bucket(cfg.s3);
      break;
  }
  return instrumentedBucket(b, deps.reg, deps.name);
}
