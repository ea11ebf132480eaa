// The `s3` section of a storage section (`blocks_storage.s3`, `ruler_storage.s3`): Cortex's S3 flags
// and YAML keys (pkg/storage/bucket/s3) under the storage section's flag prefix.
import { bool, duration, int, oneOf, section, string, type ConfigOf } from '../../flagext/index.js';

export const s3SignatureVersions = ['v4'] as const;
export const s3BucketLookupTypes = ['auto', 'virtual-hosted', 'path'] as const;
export const s3SseTypes = ['', 'SSE-S3', 'SSE-KMS'] as const;

export function s3Fields(prefix: string) {
  return {
    endpoint: string({
      flag: `${prefix}.s3.endpoint`,
      default: '',
      help: 'The S3 endpoint, as hostname[:port] (e.g. s3.dualstack.us-east-1.amazonaws.com or 127.0.0.1:9000 for an S3-compatible server). Empty uses AWS S3 of the region.',
    }),
    region: string({ flag: `${prefix}.s3.region`, default: '', help: 'S3 region. Empty uses AWS_REGION or us-east-1.' }),
    bucketName: string({ flag: `${prefix}.s3.bucket-name`, default: '', help: `S3 bucket name (needed when -${prefix}.backend=s3).` }),
    secretAccessKey: string({
      flag: `${prefix}.s3.secret-access-key`,
      default: '',
      secret: true,
      help: 'S3 secret access key. Empty (with an empty access key id) uses the AWS default credential chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), web identity, instance metadata.',
    }),
    accessKeyId: string({ flag: `${prefix}.s3.access-key-id`, default: '', help: `S3 access key id. See -${prefix}.s3.secret-access-key.` }),
    insecure: bool({ flag: `${prefix}.s3.insecure`, default: false, help: 'Use http:// rather than https:// for the S3 endpoint.' }),
    signatureVersion: oneOf(s3SignatureVersions, {
      flag: `${prefix}.s3.signature-version`,
      default: 'v4',
      refused: { v2: 'signature version v2 is not supported (the AWS SDK v3 signs with v4 only): use v4' },
      help: 'The signature version used to sign requests to S3: v4.',
    }),
    bucketLookupType: oneOf(s3BucketLookupTypes, {
      flag: `${prefix}.s3.bucket-lookup-type`,
      default: 'auto',
      category: 'advanced',
      help: 'How the bucket is addressed: virtual-hosted (bucket.host), path (host/bucket) or auto (virtual-hosted for AWS, path for any other endpoint).',
    }),
    sse: section({
      type: oneOf(s3SseTypes, {
        flag: `${prefix}.s3.sse.type`,
        default: '',
        help: 'Server-side encryption of uploaded objects: SSE-S3 or SSE-KMS; empty for the bucket\'s default.',
      }),
      kmsKeyId: string({ flag: `${prefix}.s3.sse.kms-key-id`, default: '', help: 'KMS key id for SSE-KMS.' }),
      kmsEncryptionContext: string({
        flag: `${prefix}.s3.sse.kms-encryption-context`,
        default: '',
        help: 'KMS encryption context for SSE-KMS, as a JSON object of strings; empty for none.',
      }),
    }),
    http: section({
      idleConnTimeout: duration({
        flag: `${prefix}.s3.http.idle-conn-timeout`,
        default: '1m30s',
        category: 'advanced',
        help: 'How long an idle keep-alive connection stays open.',
      }),
      responseHeaderTimeout: duration({
        flag: `${prefix}.s3.http.response-header-timeout`,
        default: '2m',
        category: 'advanced',
        help: 'How long a request may wait for a response with no data received; 0 for no limit.',
      }),
      insecureSkipVerify: bool({
        flag: `${prefix}.s3.http.insecure-skip-verify`,
        default: false,
        category: 'advanced',
        help: 'Skip verification of the server\'s TLS certificate.',
      }),
      tlsHandshakeTimeout: duration({
        flag: `${prefix}.s3.tls-handshake-timeout`,
        default: '10s',
        category: 'advanced',
        help: 'How long connecting (TCP and TLS handshake) may take.',
      }),
      expectContinueTimeout: duration({
        flag: `${prefix}.s3.expect-continue-timeout`,
        default: '1s',
        category: 'advanced',
        help: 'Accepted for Cortex compatibility; the S3 client does not send Expect: 100-continue with its own timeout.',
        notice: (v) => (v === 1000 ? undefined : `${yamlPath(prefix)}.s3.http.expect_continue_timeout has no effect`),
      }),
      maxIdleConnections: int({
        flag: `${prefix}.s3.max-idle-connections`,
        default: 100,
        min: 0,
        category: 'advanced',
        help: `Accepted for Cortex compatibility; idle connections are limited per host (-${prefix}.s3.max-idle-connections-per-host).`,
        notice: (v) => (v === 100 ? undefined : `${yamlPath(prefix)}.s3.http.max_idle_connections has no effect: Node's HTTP agent limits idle connections per host only`),
      }),
      maxIdleConnectionsPerHost: int({
        flag: `${prefix}.s3.max-idle-connections-per-host`,
        default: 100,
        min: 0,
        category: 'advanced',
        help: 'Most idle keep-alive connections kept per host.',
      }),
      maxConnectionsPerHost: int({
        flag: `${prefix}.s3.max-connections-per-host`,
        default: 0,
        min: 0,
        category: 'advanced',
        help: 'Most connections per host; 0 for no limit.',
      }),
    }),
  } as const;
}

/** `blocks_storage` for the flag prefix `blocks-storage`: where notices point. */
const yamlPath = (prefix: string): string => prefix.replaceAll('-', '_');

export const s3Config = section(s3Fields('blocks-storage'));
export type S3Config = ConfigOf<typeof s3Config>;

/** Throws an Error naming the key path (under `at`) of the first bad setting. */
export function validateS3Config(cfg: S3Config, at: string): void {
  if (cfg.bucketName === '') throw new Error(`${at}.bucket_name is required with backend s3`);
  if ((cfg.accessKeyId === '') !== (cfg.secretAccessKey === '')) {
    throw new Error(`${at}: access_key_id and secret_access_key must be set together (or both left empty for the AWS credential chain)`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(cfg.endpoint)) {
    throw new Error(`${at}.endpoint must be hostname[:port] without a scheme (use insecure for http), got ${JSON.stringify(cfg.endpoint)}`);
  }
  if (cfg.sse.type === 'SSE-KMS' && cfg.sse.kmsKeyId === '') throw new Error(`${at}.sse.kms_key_id is required with sse type SSE-KMS`);
  if (cfg.sse.kmsEncryptionContext !== '') kmsEncryptionContext(cfg, at);
}

/** The encryption context as the base64 JSON that S3 expects, checked to be an object of strings. */
export function kmsEncryptionContext(cfg: S3Config, at = 'blocks_storage.s3'): string | undefined {
  if (cfg.sse.kmsEncryptionContext === '') return undefined;
  let ctx: unknown;
  try {
    ctx = JSON.parse(cfg.sse.kmsEncryptionContext);
  } catch (err) {
    throw new Error(`${at}.sse.kms_encryption_context is not valid JSON`, { cause: err });
  }
  if (typeof ctx !== 'object' || ctx === null || Array.isArray(ctx) || Object.values(ctx).some((v) => typeof v !== 'string')) {
    throw new Error(`${at}.sse.kms_encryption_context must be a JSON object of strings`);
  }
  return Buffer.from(JSON.stringify(ctx)).toString('base64');
}
