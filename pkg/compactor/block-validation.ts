// Validation of uploaded blocks in a worker thread: reading a whole index and decoding every chunk
// grows with the block, so it never runs on the compactor's main thread.
import type { Registry } from 'prom-client';
import type { Bucket } from '../bucket/index.js';
import type { BucketIndexUpdater } from '../bucket-index/index.js';
import type { Overrides } from '../limits/index.js';
import type { Logger } from '../log/index.js';
import { idleService, type Service } from '../services/index.js';
import type { BlockMeta } from '../tsdb/block/index.js';
import { WorkerPool } from '../workers/index.js';
import type { ValidateBlockArgs } from './block-validation-worker.js';
import { BlockUploader, type BlockValidator } from './block-upload.js';
import type { CompactorConfig } from './config.js';

/** How long one block's validation may take. */
const validationTimeout = 30 * 60_000;

export class BlockValidationWorkers implements BlockValidator {
  readonly #pool: WorkerPool;
  /** Started on the first validation: most compactors never receive an upload, and need no threads for it. */
  #started: Promise<void> | undefined;

  constructor(deps: { logger: Logger; registry: Registry }) {
    this.#pool = new WorkerPool({
      name: 'block_upload_validation',
      size: 1,
      script: new URL('./block-validation-worker.js', import.meta.url),
      workerData: null,
      killGrace: 1000,
    }, deps);
  }

  service(): Service {
    return idleService('block-upload-validation', {
      stopping: async () => {
        if (this.#started === undefined) return;
        await this.#started.catch(() => undefined);
        await this.#pool.stop();
      },
    });
  }

  async validate(tenant: string, dir: string, meta: BlockMeta, verifyChunks: boolean): Promise<void> {
    await (this.#started ??= this.#pool.start());
    await this.#pool.run(tenant, 'validate', { dir, meta, verifyChunks } satisfies ValidateBlockArgs, { deadline: Date.now() + validationTimeout });
  }
}

export interface BlockUploadServiceDeps {
  bucket: Bucket;
  indexUpdater: Pick<BucketIndexUpdater, 'updateTenant'>;
  overrides: Pick<Overrides, 'limits'>;
  logger: Logger;
  registry: Registry;
}

/** The compactor's block upload API: the uploader its routes call and the service of its validation workers. */
export function blockUploadService(cfg: CompactorConfig, deps: BlockUploadServiceDeps): { uploader: BlockUploader; service: Service } {
  const workers = new BlockValidationWorkers(deps);
  const uploader = new BlockUploader({
    bucket: deps.bucket,
    limits: (tenant) => {
      const l = deps.overrides.limits(tenant);
      return {
        enabled: l.compactorBlockUploadEnabled,
        validationEnabled: l.compactorBlockUploadValidationEnabled,
        verifyChunks: l.compactorBlockUploadVerifyChunks,
        maxBlockSizeBytes: l.compactorBlockUploadMaxBlockSizeBytes,
        retention: l.compactorBlocksRetentionPeriod,
      };
    },
    validator: workers,
    updateIndex: (tenant) => deps.indexUpdater.updateTenant(tenant),
    dataDir: cfg.dataDir,
    maxBlockRange: Math.max(...cfg.blockRanges),
    logger: deps.logger,
    registry: deps.registry,
  });
  return { uploader, service: workers.service() };
}
