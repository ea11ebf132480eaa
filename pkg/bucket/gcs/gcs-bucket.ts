// Google Cloud Storage backend over @google-cloud/storage. Small buffers go up in one multipart
// request; streams and large buffers use a resumable upload (what the library does best for them).
// The client library takes about a second to import, so it is loaded when the first GcsBucket is
// made, not by everything that imports pkg/bucket.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket as GcsClientBucket, StorageOptions } from '@google-cloud/storage';
import {
  ObjectNotFoundError,
  dirPrefix,
  isObjectNotFound,
  validateObjectName,
  type Bucket,
  type IterOptions,
  type ObjectAttributes,
} from '../bucket.js';

export interface GcsBucketConfig {
  bucketName: string;
  /** Service account JSON (the key file's contents); empty uses application default credentials. */
  serviceAccount: string;
  /** API endpoint override, e.g. `http://127.0.0.1:4443`; empty is Google's. */
  endpoint: string;
}

/** Buffers above this size are uploaded resumably. */
const multipartMaxBytes = 8 << 20;

const statusOf = (err: unknown) => (err as { code?: unknown } | undefined)?.code;

export class GcsBucket implements Bucket {
  readonly #client: Promise<GcsClientBucket>;
  private readonly name: string;
  private readonly listPageSize: number;

  /** `listPageSize` (objects per list request, default 1000) exists for tests of pagination. */
  constructor(cfg: GcsBucketConfig, listPageSize = 1000) {
    this.listPageSize = listPageSize;
    if (cfg.bucketName === '') throw new Error('gcs bucket: bucket_name is empty');
    const opts: StorageOptions = {};
    if (cfg.serviceAccount !== '') {
      let credentials: { project_id?: string };
      try {
        credentials = JSON.parse(cfg.serviceAccount) as { project_id?: string };
      } catch (err) {
        throw new Error('gcs bucket: service_account is not valid JSON', { cause: err });
      }
      opts.credentials = credentials;
      if (credentials.project_id !== undefined) opts.projectId = credentials.project_id;
    }
    if (cfg.endpoint !== '') {
      opts.apiEndpoint = cfg.endpoint;
      // The library skips authentication for custom endpoints unless told otherwise; keep it when
      // credentials were given (a proxy in front of real GCS), drop it for an emulator.
      opts.useAuthWithCustomEndpoint = cfg.serviceAccount !== '';
    }
    this.#client = import('@google-cloud/storage').then((m) => new m.Storage(opts).bucket(cfg.bucketName));
    this.name = cfg.bucketName;
  }

  async iter(prefix: string, fn: (name: string) => void | Promise<void>, opts: IterOptions = {}): Promise<void> {
    const dir = dirPrefix(prefix);
    let pageToken: string | undefined;
    do {
      let resp;
      try {
        resp = await (await this.#client).getFiles({
          prefix: dir,
          delimiter: opts.recursive === true ? undefined : '/',
          autoPaginate: false,
          maxResults: this.listPageSize,
          pageToken,
        });
      } catch (err) {
        throw new Error(`list gs://${this.name}/${dir}`, { cause: err });
      }
      const [files, next, api] = resp as unknown as [{ name: string }[], { pageToken?: string } | null, { prefixes?: string[] }];
      // Objects and prefixes come as two sorted lists; merge them to keep one name order.
      const names = [...files.map((f) => f.name), ...(api?.prefixes ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const n of names) await fn(n);
      pageToken = next?.pageToken;
    } while (pageToken !== undefined);
  }

  async get(name: string): Promise<Buffer> {
    validateObjectName(name);
    try {
      const [data] = await (await this.#client).file(name).download();
      return data;
    } catch (err) {
      throw this.wrap(err, name, 'get');
    }
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    validateObjectName(name);
    if (offset < 0) throw new Error(`get range of ${name}: negative offset ${offset}`);
    if (length === 0) return Buffer.alloc(0);
    try {
      const [data] = await (await this.#client).file(name).download(length < 0 ? { start: offset } : { start: offset, end: offset + length - 1 });
      return data;
    } catch (err) {
      if (statusOf(err) === 416) {
        await this.attributes(name); // 416 on a missing object must still say "not found"
        return Buffer.alloc(0);
      }
      throw this.wrap(err, name, 'get range of');
    }
  }

  async exists(name: string): Promise<boolean> {
    validateObjectName(name);
    try {
      const [ok] = await (await this.#client).file(name).exists();
      return ok;
    } catch (err) {
      throw this.wrap(err, name, 'check existence of');
    }
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    validateObjectName(name);
    try {
      const [meta] = await (await this.#client).file(name).getMetadata();
      return { size: Number(meta.size ?? 0), lastModified: new Date(meta.updated ?? 0) };
    } catch (err) {
      throw this.wrap(err, name, 'read attributes of');
    }
  }

  async upload(name: string, body: Buffer | Readable): Promise<void> {
    validateObjectName(name);
    const file = (await this.#client).file(name);
    try {
      if (Buffer.isBuffer(body) && body.length <= multipartMaxBytes) await file.save(body, { resumable: false });
      else await pipeline(body as Readable, file.createWriteStream({ resumable: true }));
    } catch (err) {
      throw new Error(`upload ${name} to gs://${this.name}`, { cause: err });
    }
  }

  async delete(name: string): Promise<void> {
    validateObjectName(name);
    try {
      await (await this.#client).file(name).delete();
    } catch (err) {
      throw this.wrap(err, name, 'delete');
    }
  }

  isObjNotFoundErr(err: unknown): boolean {
    return isObjectNotFound(err);
  }

  async close(): Promise<void> {}

  private wrap(err: unknown, name: string, op: string): Error {
    if (statusOf(err) === 404) return new ObjectNotFoundError(name, { cause: err });
    return new Error(`${op} gs://${this.name}/${name}`, { cause: err });
  }
}
