// The one layout of every HTML page the binary serves (the query page and the status pages): a
// header that leads back to the query page and the status index, the page's title, and an
// optional auto-refresh. Server-rendered: callers escape what they put in (escapeHtml).

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => htmlEscapes[c]);
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export interface PageOptions {
  /** Reload every this many seconds while the page's "Auto-refresh" box is ticked (the choice is kept per browser). */
  refreshSeconds?: number;
  /** More of <head> (stylesheets, scripts), already escaped. */
  head?: string;
}

/** A whole page: `body` is HTML, already escaped by the caller. */
export function htmlPage(title: string, body: string, opts: PageOptions = {}): string {
  const refresh = opts.refreshSeconds === undefined ? '' : autoRefresh(opts.refreshSeconds);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Myelin</title>
<style>${layoutCss}</style>${opts.head ?? ''}
</head>
<body>
<header class="top"><a class="brand" href="/">Myelin</a><nav><a href="/">Query</a><a href="/status">Status</a><a href="/metrics">Metrics</a></nav>${refresh}</header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body></html>
`;
}

/**
 * A table; `head` is text, `rows` are cells of HTML (escaped by the caller). A row given as
 * `{ cells, className }` gets that class (`bad` marks a row in trouble).
 */
export function htmlTable(head: readonly string[], rows: readonly (readonly string[] | TableRow)[]): string {
  const tr = (r: readonly string[] | TableRow) => {
    const { cells, className } = 'cells' in r ? r : { cells: r, className: undefined };
    return `<tr${className === undefined ? '' : ` class="${escapeHtml(className)}"`}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  };
  const body = rows.length === 0 ? `<tr><td colspan="${head.length}" class="none">none</td></tr>` : rows.map(tr).join('\n');
  return `<table class="status"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

export interface TableRow {
  cells: readonly string[];
  className?: string;
}

/** "1 instance", "3 instances". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// The box is ticked unless the person unticked it once; a reload keeps the scroll position.
function autoRefresh(seconds: number): string {
  return `<label class="refresh"><input type="checkbox" id="auto-refresh"> Auto-refresh (${seconds}s)</label>
<script>(() => {
  const box = document.getElementById('auto-refresh');
  box.checked = localStorage.getItem('myelin.autoRefresh') !== 'off';
  box.addEventListener('change', () => localStorage.setItem('myelin.autoRefresh', box.checked ? 'on' : 'off'));
  setInterval(() => { if (box.checked) location.reload(); }, ${Math.max(1, Math.round(seconds)) * 1000});
})();</script>`;
}

const layoutCss = `
:root { --accent: #1e5fa8; --accent-soft: #9cc2ec; --border: #cfd6de; --muted: #5b6773; --bad: #fdecea; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; background: var(--bg); }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: 0.55rem 1.25rem; background: #1b2733; color: #fff; }
header.top a { color: #dfe8f1; text-decoration: none; }
header.top a:hover { color: #fff; text-decoration: underline; }
header.top .brand { font-weight: 700; font-size: 1.1rem; color: #fff; letter-spacing: 0.02em; }
header.top nav { display: flex; gap: 1.1rem; flex: 1; }
header.top .refresh { font-size: 0.85rem; color: #dfe8f1; display: inline-flex; gap: 0.35rem; align-items: center; }
main { padding: 0.5rem 1.25rem 2rem; max-width: 1400px; }
h1 { font-size: 1.35rem; margin: 0.75rem 0; }
h2 { font-size: 1.05rem; margin: 1.25rem 0 0.4rem; }
a { color: var(--accent); }
p.note { color: var(--muted); }
table.status, table.result { border-collapse: collapse; background: #fff; border: 1px solid var(--border); margin: 0.5rem 0; }
table.status th, table.status td, table.result td { border: 1px solid var(--border); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
table.status th { background: #eef2f6; font-weight: 600; }
table.status tbody tr:nth-child(even), table.result tr:nth-child(even) { background: #f9fbfc; }
table.status tr.bad { background: var(--bad); }
table.status td.none { color: var(--muted); font-style: italic; }
pre { background: #fff; border: 1px solid var(--border); padding: 0.75rem; overflow: auto; }
button { font: inherit; padding: 0.3rem 0.8rem; border: 1px solid var(--border); border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.links { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 0.75rem; }
.links section { background: #fff; border: 1px solid var(--border); border-radius: 6px; padding: 0.25rem 1rem 0.5rem; }
.links ul { margin: 0.25rem 0; padding-left: 1.1rem; }
`;
