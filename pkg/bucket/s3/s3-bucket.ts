// Amazon S3 (and S3-compatible servers) over the AWS SDK v3 S3 client. Buffers up to one part go up
// in one PutObject; larger bodies and streams go up as a multipart upload of `partSize` parts, so
// a block's chunk files are never held whole in memory. The SDK takes a while to import, so it is
// loaded when the first S3Bucket is made, not by everything that imports pkg/bucket.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import {
  ObjectNotFoundError,
  dirPrefix,
  isObjectNotFound,
  validateObjectName,
  type Bucket,
  type IterOptions,
  type ObjectAttributes,
} from '../bucket.js';
import { kmsEncryptionContext, validateS3Config, type S3Config } from './config.js';

type S3Module = typeof S3Sdk;

/** S3's smallest part (all parts but the last); also our default for tests that want many parts. */
export const s3MinPartSize = 5 << 20;
const defaultPartSize = 64 << 20;

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}
const statusOf = (err: unknown) => (err as SdkError | undefined)?.$metadata?.httpStatusCode;
/** 404s about the object (a missing bucket is a configuration error, not a missing object). */
const isMissingObject = (err: unknown) => statusOf(err) === 404 && (err as SdkError).name !== 'NoSuchBucket';

export interface S3BucketOptions {
  /** Objects per list request (at most 1000); smaller in tests of pagination. */
  listPageSize?: number;
  /** Bytes per multipart part, at least 5 MiB. */
  partSize?: number;
}

export class S3Bucket implements Bucket {
  readonly #sdk: Promise<{ m: S3Module; client: S3Client }>;
  private readonly bucket: string;
  private readonly sse: Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId' | 'SSEKMSEncryptionContext'>;
  private readonly listPageSize: number;
  private readonly partSize: number;

  constructor(cfg: S3Config, opts: S3BucketOptions = {}) {
    validateS3Config(cfg, 's3 bucket');
    this.bucket = cfg.bucketName;
    this.listPageSize = opts.listPageSize ?? 1000;
    this.partSize = Math.max(opts.partSize ?? defaultPartSize, s3MinPartSize);
    this.sse =
      cfg.sse.type === 'SSE-S3' ? { ServerSideEncryption: 'AES256' }
      : cfg.sse.type === 'SSE-KMS' ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: cfg.sse.kmsKeyId, SSEKMSEncryptionContext: kmsEncryptionContext(cfg) }
      : {};
    const scheme = cfg.insecure ? 'http' : 'https';
    const agentOpts = {
      keepAlive: true,
      timeout: cfg.http.idleConnTimeout,
      maxFreeSockets: cfg.http.maxIdleConnectionsPerHost,
      maxSockets: cfg.http.maxConnectionsPerHost === 0 ? Infinity : cfg.http.maxConnectionsPerHost,
    };
    const isAws = cfg.endpoint === '' || cfg.endpoint.endsWith('.amazonaws.com');
    this.#sdk = import('@aws-sdk/client-s3').then((m) => ({
      m,
      client: new m.S3Client({
        region: cfg.region !== '' ? cfg.region : (process.env.AWS_REGION ?? 'us-east-1'),
        endpoint: cfg.endpoint !== '' ? `${scheme}://${cfg.endpoint}` : undefined,
        forcePathStyle: cfg.bucketLookupType === 'path' || (cfg.bucketLookupType === 'auto' && !isAws),
        credentials: cfg.accessKeyId !== '' ? { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey } : undefined,
        // Checksums on every request are newer than most S3-compatible servers; send them only
        // where an operation requires one.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: {
          connectionTimeout: cfg.http.tlsHandshakeTimeout,
          requestTimeout: cfg.http.responseHeaderTimeout,
          httpAgent: new http.Agent(agentOpts),
          httpsAgent: new https.Agent({ ...agentOpts, rejectUnauthorized: !cfg.http.insecureSkipVerify }),
        },
      }),
    }));
  }

  async iter(prefix: string, fn: (name: string) => void | Promise<void>, opts: IterOptions = {}): Promise<void> {
    const { m, client } = await this.#sdk;
    const dir = dirPrefix(prefix);
    let token: string | undefined;
    do {
      let resp;
      try {
        resp = await client.send(new m.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: dir,
          Delimiter: opts.recursive === true ? undefined : '/',
          MaxKeys: this.listPageSize,
          ContinuationToken: token,
        }));
      } catch (err) {
        throw new Error(`list s3://${this.bucket}/${dir}`, { cause: err });
      }
      // Objects and prefixes come as two sorted lists; merge them to keep one name order.
      const names = [...(resp.Contents ?? []).map((o) => o.Key ?? ''), ...(resp.CommonPrefixes ?? []).map((p) => p.Prefix ?? '')]
        .filter((n) => n !== '' && n !== dir)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const n of names) await fn(n);
      token = resp.IsTruncated === true ? resp.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  get(name: string): Promise<Buffer> {
    return this.getObject(name, undefined, 'get');
  }

  async getRange(name: string, offset: number, length: number): Promise<Buffer> {
    validateObjectName(name);
    if (offset < 0) throw new Error(`get range of ${name}: negative offset ${offset}`);
    if (length === 0) return Buffer.alloc(0);
    try {
      return await this.getObject(name, length < 0 ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}`, 'get range of');
    } catch (err) {
      if (statusOf(err) === 416 || statusOf((err as Error).cause) === 416) {
        await this.attributes(name); // a range past the end of a missing object is still "not found"
        return Buffer.alloc(0);
      }
      throw err;
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.attributes(name);
      return true;
    } catch (err) {
      if (isObjectNotFound(err)) return false;
      throw err;
    }
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    validateObjectName(name);
    const { m, client } = await this.#sdk;
    try {
      const head = await client.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: name }));
      return { size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    } catch (err) {
      throw this.wrap(err, name, 'read attributes of');
    }
  }

  async upload(name: string, body: Buffer | Readable): Promise<void> {
    validateObjectName(name);
    const { m, client } = await this.#sdk;
    try {
      if (Buffer.isBuffer(body) && body.length <= this.partSize) {
        await client.send(new m.PutObjectCommand({ Bucket: this.bucket, Key: name, Body: body, ...this.sse }));
      } else {
        await this.multipartUpload(m, client, name, Buffer.isBuffer(body) ? [body] : body);
      }
    } catch (err) {
      throw new Error(`upload ${name} to s3://${this.bucket}`, { cause: err });
    }
  }

  async delete(name: string): Promise<void> {
    // S3's DeleteObject succeeds on a missing key; the contract says not-found.
    await this.attributes(name);
    const { m, client } = await this.#sdk;
    try {
      await client.send(new m.DeleteObjectCommand({ Bucket: this.bucket, Key: name }));
    } catch (err) {
      throw this.wrap(err, name, 'delete');
    }
  }

  isObjNotFoundErr(err: unknown): boolean {
    return isObjectNotFound(err);
  }

  async close(): Promise<void> {
    (await this.#sdk).client.destroy();
  }

  private async getObject(name: string, range: string | undefined, op: string): Promise<Buffer> {
    validateObjectName(name);
    const { m, client } = await this.#sdk;
    try {
      const resp = await client.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: name, Range: range }));
      return resp.Body === undefined ? Buffer.alloc(0) : Buffer.from(await resp.Body.transformToByteArray());
    } catch (err) {
      throw this.wrap(err, name, op);
    }
  }

  /** Sends `source` in parts of `partSize`; aborts the upload (no orphaned parts) on any failure. */
  private async multipartUpload(m: S3Module, client: S3Client, name: string, source: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
    const { UploadId } = await client.send(new m.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: name, ...this.sse }));
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    const sendPart = async (body: Buffer) => {
      const PartNumber = parts.length + 1;
      const { ETag } = await client.send(new m.UploadPartCommand({ Bucket: this.bucket, Key: name, UploadId, PartNumber, Body: body }));
      parts.push({ ETag, PartNumber });
    };
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of source) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= this.partSize) {
          const all = Buffer.concat(pending);
          await sendPart(all.subarray(0, this.partSize));
          pending = [all.subarray(this.partSize)];
          pendingBytes = pending[0].length;
        }
      }
      if (pendingBytes > 0 || parts.length === 0) await sendPart(Buffer.concat(pending));
      await client.send(new m.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: name, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await client.send(new m.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: name, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  private wrap(err: unknown, name: string, op: string): Error {
    if (isMissingObject(err)) return new ObjectNotFoundError(name, { cause: err });
    return new Error(`${op} s3://${this.bucket}/${name}`, { cause: err });
  }
}
