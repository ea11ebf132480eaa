import { bool, duration, int, section, string } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';

/**
 * The `purger` section (Cortex's name): series delete requests. Who may delete is the per-tenant
 * limit series_deletion_enabled; Cortex's other purger settings are accepted with a warning.
 */
export const purgerConfig = section({
  deleteRequestCancelPeriod: duration({
    flag: 'purger.delete-request-cancel-period',
    default: '24h',
    help: 'How long after its creation a series delete request may still be cancelled (PUT <prefix>/api/v1/admin/tsdb/cancel_delete_request); the compactor removes its data from the blocks only after it.',
  }),
  enable: bool({
    flag: 'purger.enable',
    default: false,
    help: 'Cortex\'s switch for its chunks-storage purger; accepted for Cortex configs, without effect: series deletion is enabled per tenant by series_deletion_enabled (-purger.series-deletion-enabled).',
    notice: (v) => (v ? 'ignored: series deletion is enabled per tenant by limits.series_deletion_enabled' : undefined),
  }),
  numWorkers: int({ flag: 'purger.num-workers', default: 2, min: 1, category: 'advanced', help: 'Cortex\'s chunks-storage purger workers; accepted without effect (the compactor applies delete requests).' }),
  objectStoreType: string({ flag: 'purger.object-store-type', default: '', category: 'advanced', help: 'Cortex\'s chunks-storage purger store; accepted without effect (delete requests live in the blocks bucket).' }),
});
export type PurgerConfig = ConfigOf<typeof purgerConfig>;
