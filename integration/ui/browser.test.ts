// The web UI in a real browser: Debian's Chromium, driven by playwright-core, against the real
// `myelin` binary (single-process config, auth on) holding series of two tenants. Types a query,
// sees its graph, switches tenant, follows every status link. With MYELIN_UI_SCREENSHOTS=<dir>
// (npm run docs:screenshots) it saves the screenshots docs/ui.md shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { remoteWriteBody } from '../e2e/cluster.js';
import type { TestSeries } from '../e2e/cluster.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const chromiumPath = '/usr/bin/chromium';
// Without the background-networking flags Chromium waits on services this closed network lacks.
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const screenshots = process.env.MYELIN_UI_SCREENSHOTS;

/** `n` series of `metric` (instance i1..in), a sample every 15s over the last 10 minutes. */
function series(metric: string, prefix: string, n: number, now: number): TestSeries[] {
  return Array.from({ length: n }, (_, i) => ({
    labels: { __name__: metric, job: 'ui-test', instance: `${prefix}${i + 1}` },
    samples: Array.from({ length: 41 }, (_, k): [number, number] => [now - (40 - k) * 15_000, (i + 1) * k]),
  }));
}

async function startMyelin(dir: string): Promise<{ proc: TestProcess; base: string }> {
  // The ingester registers its gRPC address in the ring: a real port, not 0.
  const [http, grpc] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${http}`;
  const proc = startMyelinBinary([`-config.file=${join(repoRoot, 'configs/single-process.yaml')}`,
    '-auth.enabled=true', '-log.format=json', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`, `-runtime-config.file=${join(repoRoot, 'configs/runtime.yaml')}`,
    '-querier.cardinality-analysis-enabled=true']);
  await waitUntil(async () => {
    if (!proc.running) throw new Error(`myelin exited:\n${proc.output}`);
    return proc.output.includes('"msg":"server listening"') && (await fetch(`${base}/ready`)).status === 200;
  }, { what: 'myelin /ready', timeoutMs: 30_000, intervalMs: 100 });
  return { proc, base };
}

async function push(base: string, tenant: string, body: TestSeries[]): Promise<void> {
  const res = await fetch(`${base}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'X-Scope-OrgID': tenant },
    body: remoteWriteBody(body),
  });
  assert.equal(res.status, 200, await res.text());
}

async function shot(page: Page, name: string): Promise<void> {
  if (screenshots !== undefined) await page.screenshot({ path: join(screenshots, name) });
}

/** Runs the current expression and waits for the graph: its series count. */
async function graphSeries(page: Page): Promise<string | null> {
  await page.locator('#result[data-series]').waitFor();
  return page.locator('#result').getAttribute('data-series');
}

test('the web UI: query, graph, tenants, shareable URL, errors, and every status page', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: run scripts/install-test-deps.sh (Debian package chromium)`);
  const dir = await mkdtemp(join(tmpdir(), 'myelin-ui-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { proc, base } = await startMyelin(dir);
  t.after(() => proc.stop('SIGKILL'));
  const now = Date.now();
  await push(base, 'team-a', [...series('ui_requests_total', 'a', 3, now), ...series('ui_temperature_celsius', 'a', 1, now)]);
  await push(base, 'team-b', series('ui_requests_total', 'b', 2, now));

  const context: BrowserContext = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: chromiumPath, args: chromiumArgs, headless: true, timeout: 30_000, viewport: { width: 1280, height: 860 },
  });
  t.after(() => context.close());
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await t.test('type a query for team-a: completion from its metric names, then a graph of its 3 series', async () => {
    await page.goto(`${base}/`);
    // The picker offers the tenants the distributor has seen.
    await page.locator('#tenant-list option[value="team-b"]').waitFor({ state: 'attached' });
    assert.deepEqual(await page.locator('#tenant-list option').evaluateAll((os) => os.map((o) => o.getAttribute('value'))), ['team-a', 'team-b']);
    await page.fill('#tenant', 'team-a');
    await page.press('#tenant', 'Tab');
    await page.click('.cm-content');
    await page.keyboard.type('ui_req');
    // Completion asks the API as team-a: its metric name is offered.
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'ui_requests_total' });
    await option.waitFor();
    // A click accepts it even while a later completion request is still pending (Enter would then
    // run the query instead, which a loaded machine made happen).
    await option.click();
    assert.equal(await page.locator('.cm-content').innerText(), 'ui_requests_total');
    await page.click('#run');
    assert.equal(await graphSeries(page), '3');
    assert.equal(await page.locator('#result canvas').count(), 1);
    assert.equal(await page.locator('.u-legend .u-series').count(), 4); // x plus 3 series
    await shot(page, 'ui-graph.png');
  });

  await t.test('switch to team-b: the same query shows its 2 series; the URL carries query, range and tenant', async () => {
    await page.fill('#tenant', 'team-b');
    await page.press('#tenant', 'Tab');
    await page.locator('#result[data-series="2"]').waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('expr'), 'ui_requests_total');
    assert.equal(url.searchParams.get('tenant'), 'team-b');
    assert.equal(url.searchParams.get('range'), '1h');

    // The link alone shows the same, in a fresh tab; the tenant choice is remembered too.
    const other = await context.newPage();
    await other.goto(`${base}/?expr=${encodeURIComponent('sum by (instance) (ui_requests_total)')}&tab=graph&range=30m&step=30s`);
    assert.equal(await graphSeries(other), '2');
    assert.equal(await other.inputValue('#tenant'), 'team-b');
    assert.equal(await other.inputValue('#range'), '30m');
    await other.close();
  });

  await t.test('table tab, then the API\'s errors, warnings and infos', async () => {
    await page.fill('#tenant', 'team-a');
    await page.press('#tenant', 'Tab');
    await page.click('.tab:has-text("Table")');
    await page.locator('#result[data-rows="3"]').waitFor();
    assert.match(await page.locator('table.result').innerText(), /ui_requests_total\{instance="a1", job="ui-test"\}/);
    await shot(page, 'ui-table.png');

    const run = async (expr: string) => {
      await page.click('.cm-content');
      await page.keyboard.press('Control+a');
      await page.keyboard.type(expr);
      await page.keyboard.press('Escape');
      await page.click('#run');
    };
    await run('ui_requests_total +');
    await page.locator('.message.error').waitFor();
    assert.match(await page.locator('.message.error').innerText(), /^bad_data: .*unexpected end of input/);
    await run('quantile(2, ui_requests_total)');
    assert.match(await page.locator('.message.warning').innerText(), /PromQL warning: quantile value should be between 0 and 1/);
    await run('rate(ui_temperature_celsius[5m])');
    assert.match(await page.locator('.message.info').innerText(), /PromQL info: metric might not be a counter/);
    await shot(page, 'ui-messages.png');
  });

  await t.test('cardinality tab: the tenant\'s series count and top metrics, each linked to its graph', async () => {
    await page.click('.tab:has-text("Cardinality")');
    // team-a: 3 series of ui_requests_total and 1 of ui_temperature_celsius.
    await page.locator('#result[data-series="4"]').waitFor();
    assert.equal(await page.locator('#series-count').innerText(), '4');
    const rows = await page.locator('#top-metrics tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [['ui_requests_total', '3'], ['ui_temperature_celsius', '1']]);
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'cardinality');
    await shot(page, 'ui-cardinality.png');
    // Another tenant's page is its own.
    await page.fill('#tenant', 'team-b');
    await page.press('#tenant', 'Tab');
    await page.locator('#result[data-series="2"]').waitFor();
    // A metric links to its graph.
    await page.click('#top-metrics a:has-text("ui_requests_total")');
    assert.equal(await graphSeries(page), '2');
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'graph');
  });

  await t.test('every status page answers 200 in the same layout, with navigation back to /', async () => {
    await page.goto(`${base}/status`);
    const links = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    await shot(page, 'ui-status.png');
    const notHtml: string[] = [];
    for (const href of new Set(links)) {
      const res = await page.goto(`${base}${href}`);
      assert.equal(res?.status(), 200, href);
      if (!(res?.headers()['content-type'] ?? '').startsWith('text/html')) {
        notHtml.push(href);
        continue;
      }
      assert.equal(await page.locator('header.top a.brand[href="/"]').count(), 1, `${href} has the layout`);
      assert.equal(await page.locator('header.top a[href="/status"]').count(), 1, href);
      if (href === '/ingester/ring') await shot(page, 'ui-ring.png');
      if (href === '/store-gateway/status') assert.match(await page.locator('main p').first().innerText(), /^Instance \S+ holds \d+ blocks? of \d+ tenants?/);
      if (href === '/ingester/all_user_stats') assert.match(await page.locator('main').innerText(), /team-a/, 'the ingester counts the tenants pushed');
    }
    // The machine endpoints stay as they were; every other link is a page in the layout.
    assert.deepEqual(notHtml.sort(), ['/metrics', '/prometheus/api/v1/status/buildinfo', '/ready']);
    for (const path of ['/services', '/ingester/ring', '/distributor/ring', '/store-gateway/ring', '/store-gateway/status', '/distributor/ha_tracker',
      '/distributor/all_user_stats', '/ingester/all_user_stats', '/compactor/status']) {
      assert.ok(links.includes(path), `${path} is linked from /status`);
    }
  });

  assert.deepEqual(pageErrors, []);
});
