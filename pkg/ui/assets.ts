// The query UI's bundled files (dist/web/, written by scripts/build-ui.mjs) served under
// /ui/static/. Only the files found there at startup are served, so a request cannot name another
// path; each is read when asked for (they change only with a rebuild).
import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export const staticPath = '/ui/static/';

/** dist/web/, beside dist/pkg/ where this module runs from. */
export const defaultAssetsDir = fileURLToPath(new URL('../../web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Registers GET /ui/static/<file>; resolves to false when `dir` holds no bundle (not built). */
export async function registerUiAssets(app: FastifyInstance, dir: string = defaultAssetsDir): Promise<boolean> {
  const files = new Set((await readdir(dir).catch(() => [] as string[])).filter((f) => extname(f) in contentTypes));
  app.get<{ Params: { file: string } }>(`${staticPath}:file`, async (req, reply) => {
    const file = req.params.file;
    if (!files.has(file)) return reply.code(404).type('text/plain').send(`no UI asset ${JSON.stringify(file)}`);
    // no-cache: the browser revalidates, so a rebuilt bundle is picked up at the next load.
    return reply.type(contentTypes[extname(file)]).header('cache-control', 'no-cache').send(await readFile(join(dir, file)));
  });
  return files.has('app.js') && files.has('app.css');
}
