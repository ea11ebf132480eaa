import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastify } from 'fastify';
import { queryPage, registerUiAssets } from './index.js';

test('UI assets: the bundle files found at startup are served, nothing else', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-ui-assets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'app.css'), 'body{}');
  await writeFile(join(dir, 'notes.txt'), 'not an asset');
  const app = fastify();
  assert.equal(await registerUiAssets(app, dir), true);
  await writeFile(join(dir, 'later.js'), 'written after startup');

  const js = await app.inject('/ui/static/app.js');
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'no-cache');
  assert.equal(js.body, 'console.log(1)');
  assert.equal((await app.inject('/ui/static/app.css')).headers['content-type'], 'text/css; charset=utf-8');
  for (const path of ['/ui/static/notes.txt', '/ui/static/later.js', '/ui/static/..%2Fpackage.json']) {
    const res = await app.inject(path);
    assert.equal(res.statusCode, 404, path);
    assert.match(res.body, /^no UI asset /, path);
  }
  assert.equal((await app.inject('/ui/static/%2e%2e/package.json')).statusCode, 404);
});

test('UI assets: a missing or empty dist/web says the bundle is not built', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-ui-assets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await registerUiAssets(fastify(), join(dir, 'absent')), false);
  assert.equal(await registerUiAssets(fastify(), dir), false);
});

test('query page: the app element tells the script where the API is; attributes are escaped', () => {
  const page = queryPage({ apiPath: '/p"x/api/v1', authEnabled: true, tenantsPath: '/distributor/all_user_stats', assetsBuilt: true });
  assert.match(page, /<div id="app" data-api="\/p&quot;x\/api\/v1" data-auth="true" data-tenants="\/distributor\/all_user_stats"><\/div>/);
  assert.match(page, /<script type="module" src="\/ui\/static\/app\.js"><\/script>/);
  assert.match(page, /<link rel="stylesheet" href="\/ui\/static\/app\.css">/);
  assert.match(page, /<a href="\/status">Status<\/a>/);

  const unbuilt = queryPage({ apiPath: '/prometheus/api/v1', authEnabled: false, tenantsPath: '', assetsBuilt: false });
  assert.match(unbuilt, /npm run build:ui/);
  assert.ok(!unbuilt.includes('app.js'));
});
