// The bucket part of the `blocks_storage` section (Cortex bucket.Config, flags -blocks-storage.*).
import { oneOf, section, string, type ConfigOf } from '../flagext/index.js';

export const bucketBackends = ['filesystem'] as const;
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
    help: `Object storage backend for blocks: ${bucketBackends.join(', ')}.`,
  }),
  filesystem: section({
    dir: string({
      flag: 'blocks-storage.filesystem.dir',
      default: './data/blocks',
      help: 'Directory holding the blocks when -blocks-storage.backend=filesystem. Every process using it must see the same directory.',
    }),
  }),
} as const;

export const bucketConfig = section(bucketFields);
export type BucketConfig = ConfigOf<typeof bucketConfig>;

export function validateBucketConfig(cfg: BucketConfig): void {
  if (cfg.backend === 'filesystem' && cfg.filesystem.dir === '') throw new Error('blocks_storage: filesystem.dir must not be empty');
}
