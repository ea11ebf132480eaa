import { Metadata } from '@grpc/grpc-js';
import { OrgIdHeader } from './tenant.js';

/** The org ID a gRPC call carries in its metadata, if any. */
export function orgIdFromMetadata(md: Metadata): string | undefined {
  const v = md.get(OrgIdHeader)[0];
  return v === undefined ? undefined : v.toString();
}

/** Metadata for an outgoing call on behalf of `tenant`. */
export function tenantMetadata(tenant: string): Metadata {
  const md = new Metadata();
  md.set(OrgIdHeader, tenant);
  return md;
}
