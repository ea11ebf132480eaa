// The Cardinality tab: the tenant's series count and what makes it, from Prometheus'
// /api/v1/status/tsdb (per tenant in Myelin, docs/http-api.md "Cardinality"). Text goes in as DOM
// text nodes, so nothing in a label value is read as HTML.

export interface Stat {
  name: string;
  value: number;
}

export interface TsdbStatus {
  headStats: { numSeries: number; numLabelPairs: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName: Stat[];
  labelValueCountByLabelName: Stat[];
  memoryInBytesByLabelName: Stat[];
  seriesCountByLabelValuePair: Stat[];
}

/** Entries per list the tab asks for. */
export const cardinalityLimit = 20;

function statTable(id: string, caption: string, heads: [string, string], stats: Stat[], link?: (name: string) => string): HTMLTableElement {
  const table = document.createElement('table');
  table.id = id;
  table.className = 'cardinality';
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  for (const h of heads) head.appendChild(document.createElement('th')).textContent = h;
  const body = table.createTBody();
  for (const s of stats) {
    const tr = body.insertRow();
    const name = tr.insertCell();
    if (link === undefined) name.textContent = s.name;
    else name.appendChild(Object.assign(document.createElement('a'), { href: link(s.name), textContent: s.name }));
    tr.insertCell().textContent = s.value.toLocaleString('en');
  }
  if (stats.length === 0) body.insertRow().insertCell().textContent = 'none';
  return table;
}

/** Shows `s`; `graphLink(metric)` is the query page's URL graphing that metric. */
export function renderCardinality(container: HTMLElement, s: TsdbStatus, graphLink: (metric: string) => string): void {
  const h = s.headStats;
  const headline = document.createElement('p');
  headline.className = 'headline';
  const count = headline.appendChild(document.createElement('strong'));
  count.id = 'series-count';
  count.textContent = h.numSeries.toLocaleString('en');
  headline.append(` series in the ingesters' heads (recent data), ${h.numLabelPairs.toLocaleString('en')} label pairs, ${h.chunkCount.toLocaleString('en')} chunks`);
  const grid = document.createElement('div');
  grid.className = 'cardinality-grid';
  grid.append(
    statTable('top-metrics', 'Top metrics by series', ['metric', 'series'], s.seriesCountByMetricName, graphLink),
    statTable('top-label-names', 'Label names by distinct values', ['label', 'values'], s.labelValueCountByLabelName),
    statTable('top-label-pairs', 'Label pairs by series', ['label=value', 'series'], s.seriesCountByLabelValuePair),
  );
  container.replaceChildren(headline, grid);
  container.dataset.series = String(h.numSeries);
}
