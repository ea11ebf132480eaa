// Separate from pkg/bucket/index.ts so that importing the bucket package does not load the GCS
// client library; newBucket() imports it on demand.
export { GcsBucket, type GcsBucketConfig } from './gcs-bucket.js';
export { FakeGcsServer } from './testing/fake-gcs-server.js';
