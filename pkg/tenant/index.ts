export {
  AnonymousTenant,
  OrgIdHeader,
  TenantError,
  TenantLabel,
  TenantResolver,
  TenantSeparator,
  parseTenantIds,
  tenantIdProblem,
} from './tenant.js';
export type { TenantResolverConfig } from './tenant.js';
export { orgIdFromMetadata, tenantMetadata } from './grpc.js';
