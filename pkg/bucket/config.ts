// The bucket part of the `blocks_storage` section (Cortex bucket.Config, flags -blocks-storage.*).
import { ConfigError, mapping, oneOf, section, string, type ConfigOf } from '../flagext/index.js';

export const bucketBackends = ['filesystem', 'gcs'] as const;
export type BucketBackend = (typeof bucketBackends)[number];

/**
 * The bucket fields of `blocks_storage`. Exported as fields (not a section) so that the
 * blocks_storage section can sit them at its top level next to `bucket_store` and `tsdb`, as
 * Cortex does.
 */
export const bucketFields = {
  backend: oneOf<BucketBackend>(bucketBackends, {
    flag: 'blocks-storage.backend',
    default: 'filesystem',
    refused: Object.fromEntries(['s3', 'azure', 'swift'].map((b) => [b, `${b} is not supported yet: use filesystem or gcs`])),
    help: `Object storage backend for blocks: ${bucketBackends.join(', ')}.`,
  }),
  filesystem: section({
    dir: string({
      flag: 'blocks-storage.filesystem.dir',
      default: './data/blocks',
      help: 'Directory holding the blocks when -blocks-storage.backend=filesystem. Every process using it must see the same directory.',
    }),
  }),
  gcs: section({
    bucketName: string({ flag: 'blocks-storage.gcs.bucket-name', default: '', help: 'GCS bucket name (needed when -blocks-storage.backend=gcs).' }),
    serviceAccount: string({
      flag: 'blocks-storage.gcs.service-account',
      default: '',
      secret: true,
      help: 'JSON of a GCS service account key. Empty uses application default credentials (GOOGLE_APPLICATION_CREDENTIALS, the metadata server, ...).',
    }),
    endpoint: string({
      flag: 'blocks-storage.gcs.endpoint',
      default: '',
      category: 'advanced',
      help: 'Override of the GCS JSON API endpoint, e.g. http://127.0.0.1:4443 for an emulator. Authentication is skipped with an override unless -blocks-storage.gcs.service-account is set.',
    }),
  }),
  // Cortex's other backends: their sections are accepted so a Cortex config loads, but the
  // backends are refused above.
  s3: mapping({ default: {}, help: 'Cortex\'s S3 settings; accepted, unused (the s3 backend is not supported yet).' }),
  azure: mapping({ default: {}, help: 'Cortex\'s Azure settings; accepted, unused (the azure backend is not supported).' }),
  swift: mapping({ default: {}, help: 'Cortex\'s Swift settings; accepted, unused (the swift backend is not supported).' }),
} as const;

export const bucketConfig = section(bucketFields);
export type BucketConfig = ConfigOf<typeof bucketConfig>;

export function validateBucketConfig(cfg: BucketConfig): void {
  if (cfg.backend === 'filesystem' && cfg.filesystem.dir === '') throw new ConfigError('blocks_storage.filesystem.dir', 'must not be empty');
  if (cfg.backend === 'gcs' && cfg.gcs.bucketName === '') throw new ConfigError('blocks_storage.gcs.bucket_name', 'required with backend gcs');
}
