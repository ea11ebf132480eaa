import type { Aliases } from '../flagext/index.js';

// Myelin's documented names from before it took Cortex's (0.1): the distributor's and the
// store-gateway's own ring entry was a `lifecycler` section next to the ring; Cortex keeps it in
// the ring section as `instance_*`.
const movedLifecyclers = [
  { yaml: 'distributor', ring: 'ring', flags: 'distributor.ring.' },
  { yaml: 'store_gateway', ring: 'sharding_ring', flags: 'store-gateway.sharding-ring.' },
];
const renamedKeys: Record<string, string> = { id: 'instance_id', addr: 'instance_addr', availability_zone: 'instance_availability_zone' };
const keptKeys = ['num_tokens', 'heartbeat_period', 'join_after', 'observe_period', 'tokens_file_path', 'unregister_on_shutdown', 'auto_forget_unhealthy_periods'];

// Cortex 1.21's names for options Myelin has under another name. Cortex's max_exemplars and
// max_outstanding_requests_per_tenant are limits; here they set Myelin's option in the config file
// (docs/configuration.md says how they differ).
const cortexYaml: Record<string, string> = {
  'limits.max_exemplars': 'limits.max_global_exemplars_per_user',
  'limits.max_outstanding_requests_per_tenant': 'frontend.max_outstanding_per_tenant',
};
const cortexFlags: Record<string, string> = {
  'ruler.enable-api': 'experimental.ruler.enable-api',
  'ingester.max-exemplars': 'ingester.max-global-exemplars-per-user',
  'frontend.max-outstanding-requests-per-tenant': 'querier.max-outstanding-requests-per-tenant',
};

/** Former names and Cortex's names that still work (see docs/configuration.md, "Cortex names"). */
export const myelinAliases: Aliases = {
  yaml: {
    ...cortexYaml,
    'ingester.lifecycler.addr': 'ingester.lifecycler.address',
    'blocks_storage.bucket_store.ignore_deletion_marks_delay': 'blocks_storage.bucket_store.ignore_deletion_mark_delay',
    ...Object.fromEntries(movedLifecyclers.flatMap(({ yaml, ring }) => [
      ...Object.entries(renamedKeys).map(([from, to]) => [`${yaml}.lifecycler.${from}`, `${yaml}.${ring}.${to}`]),
      ...keptKeys.map((k) => [`${yaml}.lifecycler.${k}`, `${yaml}.${ring}.${k}`]),
    ])),
  },
  flags: {
    ...cortexFlags,
    ...Object.fromEntries(movedLifecyclers.flatMap(({ flags }) => [
      [`${flags}lifecycler.ID`, `${flags}instance-id`],
      [`${flags}lifecycler.addr`, `${flags}instance-addr`],
      [`${flags}availability-zone`, `${flags}instance-availability-zone`],
    ])),
  },
};
