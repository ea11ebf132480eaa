// The instant result as a table: one row per series (or the scalar/string), built with DOM text
// nodes so that nothing in a label value is read as HTML.
import type { QueryData, Sample } from './api.js';
import { seriesName } from './api.js';

const maxRows = 10_000;

function row(cells: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) tr.appendChild(document.createElement('td')).textContent = c;
  return tr;
}

function sampleText([t, v]: Sample): string {
  return `${v} @${t}`;
}

export function renderTable(container: HTMLElement, data: QueryData): void {
  const table = document.createElement('table');
  table.className = 'result';
  const rows: string[][] = [];
  switch (data.resultType) {
    case 'vector':
      for (const s of data.result) rows.push([seriesName(s.metric), s.value[1]]);
      break;
    case 'matrix':
      for (const s of data.result) rows.push([seriesName(s.metric), s.values.map(sampleText).join('\n')]);
      break;
    case 'scalar':
    case 'string':
      rows.push([data.resultType, data.result[1]]);
      break;
  }
  const shown = rows.slice(0, maxRows);
  table.append(...(shown.length === 0 ? [row(['no data', ''])] : shown.map(row)));
  container.replaceChildren(table);
  container.dataset.rows = String(rows.length);
  if (rows.length > maxRows) {
    container.appendChild(document.createElement('p')).textContent = `showing ${maxRows} of ${rows.length} rows`;
  }
}
