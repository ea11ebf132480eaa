// Mimir's block upload endpoints (served by the compactor):
//   POST /api/v1/upload/block/{block}/start         body: meta.json
//   POST /api/v1/upload/block/{block}/files?path=P  body: the file (index, chunks/NNNNNN)
//   POST /api/v1/upload/block/{block}/finish
//   GET  /api/v1/upload/block/{block}/check         {"result": "uploading" | "validating" | "complete" | "failed", "error"?}
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { BlockUploadError, maxMetaBytes, type BlockUploader } from './block-upload.js';

export type TenantOf = (req: FastifyRequest) => string;
type Params = { block: string };

async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > limit) throw new BlockUploadError(413, 'meta_too_large', `meta.json is larger than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export async function registerBlockUploadRoutes(app: FastifyInstance, uploader: BlockUploader, tenantOf: TenantOf): Promise<void> {
  await app.register(async (scope) => {
    // Bodies arrive as streams whatever their type: chunk files go to the bucket as they come.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    const answer = async (reply: FastifyReply, fn: () => Promise<unknown>) => {
      try {
        const body = await fn();
        return reply.code(200).send(body ?? '');
      } catch (err) {
        if (!(err instanceof BlockUploadError)) throw err;
        return reply.code(err.statusCode).type('text/plain; charset=utf-8').send(err.message);
      }
    };
    const base = '/api/v1/upload/block/:block';
    scope.post<{ Params: Params }>(`${base}/start`, (req, reply) => answer(reply, async () => {
      const tenant = tenantOf(req);
      await uploader.start(tenant, req.params.block, req.body === undefined ? Buffer.alloc(0) : await readLimited(req.body as Readable, maxMetaBytes));
    }));
    scope.post<{ Params: Params; Querystring: { path?: string } }>(`${base}/files`, (req, reply) => answer(reply, async () => {
      const tenant = tenantOf(req);
      const body = req.body as Readable | undefined;
      if (body === undefined) throw new BlockUploadError(400, 'empty_body', 'no file in the request body');
      await uploader.uploadFile(tenant, req.params.block, req.query.path ?? '', body);
    }));
    scope.post<{ Params: Params }>(`${base}/finish`, (req, reply) => answer(reply, () => uploader.finish(tenantOf(req), req.params.block)));
    scope.get<{ Params: Params }>(`${base}/check`, (req, reply) => answer(reply, () => uploader.check(tenantOf(req), req.params.block)));
  });
}
