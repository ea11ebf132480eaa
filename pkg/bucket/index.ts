export {
  ObjectNotFoundError,
  dirPrefix,
  isObjectNotFound,
  validateObjectName,
  type Bucket,
  type BucketReader,
  type IterOptions,
  type ObjectAttributes,
} from './bucket.js';
export { bucketBackends, bucketConfig, bucketFields, storageBucketFields, unsupportedBackendFields, validateBucketConfig, type BucketBackend, type BucketConfig } from './config.js';
export { newBucket, type BucketDeps } from './factory.js';
export { FilesystemBucket } from './filesystem/filesystem-bucket.js';
export { GcsBucket, type GcsBucketConfig } from './gcs/gcs-bucket.js';
export { BucketOp, instrumentedBucket } from './instrumented-bucket.js';
export { prefixedBucket, prefixedBucketReader, tenantBucket, tenantBucketReader } from './prefixed-bucket.js';
export { uploadDir } from './upload-dir.js';
export { S3Bucket, type S3BucketOptions } from './s3/s3-bucket.js';
export { validateS3Config } from './s3/config.js';
