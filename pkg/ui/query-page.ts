// The query page (GET /): the shared layout around <div id="app">, whose data attributes tell the
// bundled script (web/src/main.ts) where the Prometheus API is, whether tenants exist and where to
// list them.
import { escapeHtml, htmlPage } from '../server/index.js';
import { staticPath } from './assets.js';

export interface QueryPageOptions {
  /** The Prometheus API, e.g. `/prometheus/api/v1`. */
  apiPath: string;
  /** With auth disabled there is one tenant and the picker is off. */
  authEnabled: boolean;
  /** A JSON list of `{ userId }` (the distributor's all_user_stats), or '' when this process has none. */
  tenantsPath: string;
  /** False when dist/web/ was not built: the page says how to build it. */
  assetsBuilt: boolean;
}

export function queryPage(o: QueryPageOptions): string {
  if (!o.assetsBuilt) {
    return htmlPage('Query', '<p>The query UI is not built into this copy: run <code>npm run build:ui</code> (part of <code>npm start</code> and <code>npm test</code>) and restart. ' +
      'The <a href="/status">status pages</a> work without it.</p>');
  }
  const attrs = `data-api="${escapeHtml(o.apiPath)}" data-auth="${o.authEnabled}" data-tenants="${escapeHtml(o.tenantsPath)}"`;
  return htmlPage('Query', `<div id="app" ${attrs}></div>`, {
    head: `\n<link rel="stylesheet" href="${staticPath}app.css">\n<script type="module" src="${staticPath}app.js"></script>`,
  });
}
