// The bucket part of the `blocks_storage` section (Cortex bucket.Config, flags -blocks-storage.*).
import { ConfigError, mapping, oneOf, section, string, type ConfigOf } from '../flagext/index.js';
import { s3Fields, validateS3Config } from './s3/config.js';

export const bucketBackends = ['filesystem', 'gcs', 's3'] as const;
export type BucketBackend = (typeof bucketBackends)[number];

/**
 * The bucket fields of a storage section, its flags under `-<prefix>.`: Cortex's `blocks_storage`
 * and `ruler_storage` share them. Fields (not a section) so that blocks_storage can sit them at
 * its top level next to `bucket_store` and `tsdb`, as Cortex does.
 */
export function storageBucketFields(prefix: string, what: string, defaultDir: string) {
  return {
    backend: oneOf<BucketBackend>(bucketBackends, {
      flag: `${prefix}.backend`,
      default: 'filesystem',
      refused: Object.fromEntries(['azure', 'swift'].map((b) => [b, `${b} is not supported yet: use filesystem, gcs or s3`])),
      help: `Object storage backend for ${what}: ${bucketBackends.join(', ')}.`,
    }),
    filesystem: section({
      dir: string({
        flag: `${prefix}.filesystem.dir`,
        default: defaultDir,
        help: `Directory holding the ${what} when -${prefix}.backend=filesystem. Every process using it must see the same directory.`,
      }),
    }),
    gcs: gcsFields(prefix),
    s3: section(s3Fields(prefix)),
  } as const;
}

function gcsFields(prefix: string) {
  return section({
    bucketName: string({ flag: `${prefix}.gcs.bucket-name`, default: '', help: `GCS bucket name (needed when -${prefix}.backend=gcs).` }),
    serviceAccount: string({
      flag: `${prefix}.gcs.service-account`,
      default: '',
      secret: true,
      help: 'JSON of a GCS service account key. Empty uses application default credentials (GOOGLE_APPLICATION_CREDENTIALS, the metadata server, ...).',
    }),
    endpoint: string({
      flag: `${prefix}.gcs.endpoint`,
      default: '',
      category: 'advanced',
      help: `Override of the GCS JSON API endpoint, e.g. http://127.0.0.1:4443 for an emulator. Authentication is skipped with an override unless -${prefix}.gcs.service-account is set.`,
    }),
  });
}

/**
 * Cortex's other backends: their sections are accepted so a Cortex config loads, but the backends
 * are refused (storageBucketFields' backend).
 */
export const unsupportedBackendFields = {
  azure: mapping({ default: {}, help: 'Cortex\'s Azure settings; accepted, unused (the azure backend is not supported).' }),
  swift: mapping({ default: {}, help: 'Cortex\'s Swift settings; accepted, unused (the swift backend is not supported).' }),
} as const;

export const bucketFields = { ...storageBucketFields('blocks-storage', 'blocks', './data/blocks'), ...unsupportedBackendFields } as const;

export const bucketConfig = section(bucketFields);
export type BucketConfig = ConfigOf<typeof bucketConfig>;

export function validateBucketConfig(cfg: BucketConfig): void {
  if (cfg.backend === 'filesystem' && cfg.filesystem.dir === '') throw new ConfigError('blocks_storage.filesystem.dir', 'must not be empty');
  if (cfg.backend === 'gcs' && cfg.gcs.bucketName === '') throw new ConfigError('blocks_storage.gcs.bucket_name', 'required with backend gcs');
  if (cfg.backend === 's3') validateS3Config(cfg.s3, 'blocks_storage.s3');
}
