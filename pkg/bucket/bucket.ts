// The object storage contract, after thanos-io/objstore. Object names are `/`-separated paths
// relative to the bucket root; a "directory" exists only as the common prefix of object names.
import type { Readable } from 'node:stream';

export interface IterOptions {
  /** List every object under the prefix instead of one level (no directory entries then). */
  recursive?: boolean;
}

export interface ObjectAttributes {
  /** Size in bytes. */
  size: number;
  lastModified: Date;
}

/** Read-only side of a bucket; what queriers and store-gateways need. */
export interface BucketReader {
  /**
   * Calls `fn` for each entry under `prefix` (a directory name, with or without a trailing `/`;
   * `''` is the root), in lexicographic order of full names. Without `recursive`, sub-directories
   * appear once as `prefix/sub/` (trailing slash); with it, only objects appear. A prefix with
   * nothing under it yields nothing, never an error. `fn` may be async; iteration awaits it.
   */
  iter(prefix: string, fn: (name: string) => void | Promise<void>, opts?: IterOptions): Promise<void>;
  /** The whole object. Rejects with an error that `isObjNotFoundErr` recognises when missing. */
  get(name: string): Promise<Buffer>;
  /**
   * `length` bytes from `offset` (fewer at the end of the object; `length` < 0 means "to the
   * end"). An offset past the end yields an empty buffer.
   */
  getRange(name: string, offset: number, length: number): Promise<Buffer>;
  exists(name: string): Promise<boolean>;
  attributes(name: string): Promise<ObjectAttributes>;
  isObjNotFoundErr(err: unknown): boolean;
}

export interface Bucket extends BucketReader {
  /** Writes the whole object; readers see either the previous object or the new one, never a part. */
  upload(name: string, body: Buffer | Readable): Promise<void>;
  /** Removes an object; rejects with a not-found error when there is none. */
  delete(name: string): Promise<void>;
  close(): Promise<void>;
}

/** What every backend throws (or wraps as `cause`) for a missing object. */
export class ObjectNotFoundError extends Error {
  readonly code = 'OBJECT_NOT_FOUND';
  constructor(readonly objectName: string, opts?: { cause?: unknown }) {
    super(`object ${JSON.stringify(objectName)} not found`, opts);
    this.name = 'ObjectNotFoundError';
  }
}

/** True when `err` or any error in its `cause` chain is an ObjectNotFoundError. */
export function isObjectNotFound(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof ObjectNotFoundError) return true;
  }
  return false;
}

/**
 * Checks an object name: relative, `/`-separated, no empty, `.` or `..` segments (so that no name
 * escapes its bucket or a tenant's prefix), no NUL. Throws a plain Error naming the problem.
 */
export function validateObjectName(name: string): void {
  if (name === '') throw new Error('empty object name');
  if (name.includes('\0')) throw new Error(`object name ${JSON.stringify(name)} contains NUL`);
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') {
      throw new Error(`invalid object name ${JSON.stringify(name)}: empty, "." or ".." path segment`);
    }
  }
}

/** `prefix` as a directory: `''` stays `''`, anything else ends with one `/`. */
export function dirPrefix(prefix: string): string {
  if (prefix === '' || prefix.endsWith('/')) return prefix;
  return prefix + '/';
}
