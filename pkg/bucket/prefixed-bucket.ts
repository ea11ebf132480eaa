// A view of a bucket under a fixed prefix: names passed in are relative to it, names handed back
// (iter) are relative to it too. tenantBucket is the per-tenant view `<tenant>/...`.
import type { Readable } from 'node:stream';
import { tenantIdProblem } from '../tenant/index.js';
import { dirPrefix, validateObjectName, type Bucket, type BucketReader, type IterOptions, type ObjectAttributes } from './bucket.js';

class PrefixedReader<B extends BucketReader> implements BucketReader {
  protected readonly inner: B;
  protected readonly prefix: string;

  constructor(inner: B, prefix: string) {
    validateObjectName(prefix);
    this.inner = inner;
    this.prefix = prefix + '/';
  }

  protected full(name: string): string {
    validateObjectName(name);
    return this.prefix + name;
  }

  async iter(prefix: string, fn: (name: string) => void | Promise<void>, opts?: IterOptions): Promise<void> {
    const cut = this.prefix.length;
    return await this.inner.iter(this.prefix + dirPrefix(prefix), (name) => fn(name.slice(cut)), opts);
  }

  async get(name: string): Promise<Buffer> {
    return await this.inner.get(this.full(name));
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    return await this.inner.getRange(this.full(name), offset, length);
  }

  async exists(name: string): Promise<boolean> {
    return await this.inner.exists(this.full(name));
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    return await this.inner.attributes(this.full(name));
  }

  isObjNotFoundErr(err: unknown): boolean {
    return this.inner.isObjNotFoundErr(err);
  }
}

class PrefixedBucket extends PrefixedReader<Bucket> implements Bucket {
  async upload(name: string, body: Buffer | Readable): Promise<void> {
    return await this.inner.upload(this.full(name), body);
  }

  async delete(name: string): Promise<void> {
    return await this.inner.delete(this.full(name));
  }

  /** The prefix view does not own the bucket: closing it is a no-op. */
  async close(): Promise<void> {}
}

/** `b` seen under `prefix` (a relative path without trailing slash). */
export function prefixedBucket(b: Bucket, prefix: string): Bucket {
  return new PrefixedBucket(b, prefix);
}

export function prefixedBucketReader(b: BucketReader, prefix: string): BucketReader {
  return new PrefixedReader(b, prefix);
}

function checkTenant(tenant: string): string {
  const problem = tenantIdProblem(tenant);
  if (problem !== undefined) throw new Error(`tenant bucket: ${problem}`);
  return tenant;
}

/** The objects of one tenant, `<tenant>/...`. The tenant ID is validated (no `..`, `/`, ...). */
export function tenantBucket(b: Bucket, tenant: string): Bucket {
  return new PrefixedBucket(b, checkTenant(tenant));
}

export function tenantBucketReader(b: BucketReader, tenant: string): BucketReader {
  return new PrefixedReader(b, checkTenant(tenant));
}
