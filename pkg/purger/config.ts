import { duration, section } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';

/** The `purger` section (Cortex's name): series delete requests. Who may delete is the per-tenant limit series_deletion_enabled. */
export const purgerConfig = section({
  deleteRequestCancelPeriod: duration({
    flag: 'purger.delete-request-cancel-period',
    default: '24h',
    help: 'How long after its creation a series delete request may still be cancelled (PUT <prefix>/api/v1/admin/tsdb/cancel_delete_request).',
  }),
});
export type PurgerConfig = ConfigOf<typeof purgerConfig>;
