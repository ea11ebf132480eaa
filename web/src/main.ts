// The query page: tenant picker, PromQL editor, table or graph of the result, and the API's
// errors, warnings and infos. The server's page holds <div id="app"> whose data attributes say
// where the API is (data-api), whether tenants exist (data-auth) and where to list them
// (data-tenants).
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { ApiError, PrometheusApi } from './api.js';
import type { Answer, QueryData } from './api.js';
import { createEditor } from './editor.js';
import { drawGraph } from './graph.js';
import { renderTable } from './table.js';
import { fillTenantList, rememberTenant, storedTenant } from './tenant.js';
import { autoStep, parseDuration, parseEnd, readState, tabs as tabNames, writeState } from './url-state.js';
import { cardinalityLimit, renderCardinality } from './cardinality.js';
import type { TsdbStatus } from './cardinality.js';
import type { Tab, ViewState } from './url-state.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function labelled(text: string, input: HTMLElement): HTMLLabelElement {
  return el('label', {}, el('span', {}, text), input);
}

function start(root: HTMLElement): void {
  const apiBase = root.dataset.api ?? '/prometheus/api/v1';
  const authEnabled = root.dataset.auth !== 'false';
  const state = readState(location.search);

  const tenantInput = el('input', { id: 'tenant', type: 'text', placeholder: 'tenant ID', autocomplete: 'off', spellcheck: false });
  const tenantList = el('datalist', { id: 'tenant-list' });
  tenantInput.setAttribute('list', tenantList.id);
  tenantInput.value = authEnabled ? state.tenant || storedTenant() : '';
  if (!authEnabled) {
    tenantInput.disabled = true;
    tenantInput.placeholder = 'auth disabled: one tenant';
  }

  const tabTitles: Record<Tab, string> = { graph: 'Graph', table: 'Table', cardinality: 'Cardinality' };
  const tabs = tabNames.map((t) => el('button', { type: 'button', className: 'tab', textContent: tabTitles[t] }));
  const rangeInput = el('input', { id: 'range', type: 'text', value: state.range, size: 6, title: 'range, e.g. 30m, 1h, 2d' });
  const endInput = el('input', { id: 'end', type: 'text', value: state.end, placeholder: 'now', size: 22, title: 'end time: RFC 3339 or Unix seconds; empty for now' });
  const stepInput = el('input', { id: 'step', type: 'text', value: state.step, placeholder: 'auto', size: 6, title: 'resolution, e.g. 15s; empty for about 250 points' });
  const rangeControls = el('div', { className: 'range-controls' }, labelled('Range', rangeInput), labelled('End', endInput), labelled('Step', stepInput));
  const runButton = el('button', { id: 'run', type: 'button', className: 'primary', textContent: 'Execute' });
  const messages = el('div', { id: 'messages' });
  const result = el('div', { id: 'result' });
  const editorHost = el('div', { id: 'editor' });

  root.append(
    el('div', { className: 'toolbar' }, labelled('Tenant', tenantInput), tenantList),
    el('div', { className: 'query-row' }, editorHost, runButton),
    el('div', { className: 'toolbar' }, el('div', { className: 'tabs' }, ...tabs), rangeControls),
    messages,
    result,
  );

  let tab: Tab = state.tab;
  let plot: uPlot | undefined;
  let inFlight: AbortController | undefined;
  const api = () => new PrometheusApi(apiBase, tenantInput.value.trim());
  const editor = createEditor(editorHost, apiBase, state.expr, () => void run());
  editor.setCompletionHeaders(api().headers());

  const showTab = () => {
    tabs.forEach((b, i) => b.classList.toggle('active', tabNames[i] === tab));
    rangeControls.hidden = tab !== 'graph';
  };
  showTab();

  const current = (): ViewState => ({
    expr: editor.value(), tab, range: rangeInput.value.trim(), end: endInput.value.trim(), step: stepInput.value.trim(),
    tenant: authEnabled ? tenantInput.value.trim() : '',
  });

  const say = (kind: 'error' | 'warning' | 'info', text: string) => messages.appendChild(el('div', { className: `message ${kind}`, textContent: text }));

  async function run(): Promise<void> {
    const s = current();
    history.replaceState(null, '', writeState(s));
    messages.replaceChildren();
    plot?.destroy();
    plot = undefined;
    result.replaceChildren();
    delete result.dataset.series;
    if (s.expr.trim() === '' && s.tab !== 'cardinality') return;
    inFlight?.abort();
    const abort = (inFlight = new AbortController());
    result.className = 'loading';
    try {
      if (s.tab === 'cardinality') {
        const status = await api().post<TsdbStatus>('/status/tsdb', { limit: String(cardinalityLimit) });
        if (abort.signal.aborted) return;
        renderCardinality(result, status.data, (metric) => writeState({ ...s, expr: metric, tab: 'graph' }));
        return;
      }
      let answer: Answer<QueryData>;
      const end = parseEnd(s.end, new Date());
      if (s.tab === 'graph') {
        const range = parseDuration(s.range);
        const step = s.step === '' ? autoStep(range) : parseDuration(s.step);
        answer = await api().range(s.expr, new Date(end.getTime() - range * 1000), end, step);
      } else {
        answer = await api().instant(s.expr, end);
      }
      if (abort.signal.aborted) return;
      for (const w of answer.warnings) say('warning', w);
      for (const i of answer.infos) say('info', i);
      if (answer.data.resultType === 'matrix') plot = drawGraph(result, answer.data.result);
      else renderTable(result, answer.data);
    } catch (err) {
      if (abort.signal.aborted) return;
      const e = err as Error;
      say('error', err instanceof ApiError && err.errorType !== undefined ? `${err.errorType}: ${e.message}` : e.message);
    } finally {
      if (!abort.signal.aborted) result.className = '';
    }
  }

  tabs.forEach((b, i) => b.addEventListener('click', () => {
    tab = tabNames[i];
    showTab();
    void run();
  }));
  runButton.addEventListener('click', () => void run());
  window.addEventListener('resize', () => plot?.setSize({ width: Math.max(300, result.clientWidth), height: plot.height }));
  for (const input of [rangeInput, endInput, stepInput]) input.addEventListener('keydown', (e) => e.key === 'Enter' && void run());
  tenantInput.addEventListener('change', () => {
    const t = tenantInput.value.trim();
    rememberTenant(t);
    editor.setCompletionHeaders(api().headers());
    void run();
  });
  if (authEnabled) void fillTenantList(tenantList, root.dataset.tenants ?? '');
  if (state.expr !== '' || state.tab === 'cardinality') void run();
  editor.focus();
}

const root = document.getElementById('app');
if (root !== null) start(root);
