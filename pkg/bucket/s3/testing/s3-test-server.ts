// A local S3-compatible server for tests: fauxqs (npm), an emulator of the S3 REST API (with SQS and
// SNS, unused here) that keeps objects in memory. It is not AWS S3 and does not check signatures;
// it implements what S3Bucket calls: ListObjectsV2 with delimiter and continuation tokens, ranged
// GETs, HEAD, PUT, DELETE and multipart uploads. (s3rver, the older choice, was tried first: its
// delimiter listing drops common prefixes that hold no object directly, e.g. a tenant with only
// block directories.) It is a devDependency, so it is imported only when a test starts a server.
import { defaults } from '../../../flagext/index.js';
import { s3Config, type S3Config } from '../config.js';

interface FauxqsApp {
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

export class S3TestServer {
  #app: FauxqsApp | undefined;
  #endpoint = '';
  #buckets = 0;

  async start(): Promise<void> {
    const { buildApp } = (await import('fauxqs' as string)) as { buildApp(o: object): FauxqsApp };
    this.#app = buildApp({ logger: false });
    // Its own startFauxqs() listens on every interface; tests listen on loopback only.
    this.#endpoint = new URL(await this.#app.listen({ port: 0, host: '127.0.0.1' })).host;
  }

  /** `host:port`, as -blocks-storage.s3.endpoint takes it. */
  get endpoint(): string {
    if (this.#endpoint === '') throw new Error('S3TestServer not started');
    return this.#endpoint;
  }

  /** Creates a new empty bucket (S3 CreateBucket) and returns the config of an S3Bucket reaching it. */
  async createBucket(name = `bucket-${this.#buckets++}`): Promise<S3Config> {
    const resp = await fetch(`http://${this.endpoint}/${name}`, { method: 'PUT' });
    if (!resp.ok) throw new Error(`create bucket ${name}: HTTP ${resp.status} ${await resp.text()}`);
    return this.config(name);
  }

  /** The config of an S3Bucket for `bucketName` on this server (which accepts any key pair). */
  config(bucketName: string): S3Config {
    const cfg = defaults(s3Config);
    Object.assign(cfg, { endpoint: this.endpoint, bucketName, insecure: true, accessKeyId: 'test', secretAccessKey: 'test', region: 'us-east-1' });
    return cfg;
  }

  async stop(): Promise<void> {
    await this.#app?.close();
  }
}
