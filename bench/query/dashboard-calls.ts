// The HTTP calls a Grafana node-exporter dashboard makes when it opens: its stat panels (instant
// queries), its graphs (range queries over the dashboard's time range) and its template variables
// and metric browser (series, label names, label values), over the series of
// bench/ingest/node-exporter-series.ts.

export type CallClass = 'instant' | 'range' | 'metadata';

export interface DashboardCall {
  name: string;
  class: CallClass;
  /** Path under the API prefix, e.g. /api/v1/query. */
  path: string;
  params: [string, string][];
  /**
   * Whether VictoriaMetrics' answer is expected to equal Prometheus' and Myelin's: not for rate()
   * and irate(), which VictoriaMetrics computes its own way (from the sample before the window, no
   * extrapolation to the window's edges).
   */
  vmComparable: boolean;
}

export interface DashboardWindow {
  /** Evaluation time of the instant queries and end of the range, ms. */
  end: number;
  /** Length of the dashboard's time range, ms (1 h). */
  range: number;
  /** Step of the range queries, ms (15 s). */
  step: number;
  /** The `instance` the per-host panels show. */
  host: string;
}

export function dashboardCalls(w: DashboardWindow): DashboardCall[] {
  const sec = (ms: number) => String(ms / 1000);
  const h = `instance="${w.host}"`;
  const instant = (name: string, q: string, vmComparable = true): DashboardCall => ({
    name, class: 'instant', path: '/api/v1/query', params: [['query', q], ['time', sec(w.end)]], vmComparable,
  });
  const range = (name: string, q: string, vmComparable = true): DashboardCall => ({
    name, class: 'range', path: '/api/v1/query_range', vmComparable,
    params: [['query', q], ['start', sec(w.end - w.range)], ['end', sec(w.end)], ['step', sec(w.step)]],
  });
  const meta = (name: string, path: string, match?: string): DashboardCall => ({
    name, class: 'metadata', path, vmComparable: true,
    params: [...(match === undefined ? [] : [['match[]', match] as [string, string]]), ['start', sec(w.end - w.range)], ['end', sec(w.end)]],
  });
  return [
    instant('up of one host', `up{${h}}`),
    instant('memory available ratio, all hosts', 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes'),
    instant('busy CPU by instance', 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', false),
    instant('load1 of one host', `node_load1{${h}}`),
    instant('CPU count of one host', `count(count by (cpu) (node_cpu_seconds_total{${h}}))`),
    instant('uptime of one host', `time() - node_boot_time_seconds{${h}}`),
    instant('root filesystem used ratio', '1 - node_filesystem_avail_bytes{mountpoint="/",fstype!="rootfs"} / node_filesystem_size_bytes{mountpoint="/",fstype!="rootfs"}'),
    instant('topk disk io time', 'topk(5, sum by (instance) (rate(node_disk_io_time_seconds_total[5m])))', false),
    range('busy CPU by instance', 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', false),
    range('CPU by mode of one host', `sum by (mode) (rate(node_cpu_seconds_total{${h}}[5m]))`, false),
    range('memory available ratio, all hosts', 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes'),
    range('network receive bits of one host', `rate(node_network_receive_bytes_total{${h},device!="lo"}[5m]) * 8`, false),
    range('network transmit bits of one host', `rate(node_network_transmit_bytes_total{${h},device!="lo"}[5m]) * 8`, false),
    range('filesystem used ratio, all hosts', '1 - node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes{fstype!="tmpfs"}'),
    range('load1, all hosts', 'node_load1'),
    range('disk io time of one host', `rate(node_disk_io_time_seconds_total{${h}}[5m])`, false),
    range('disk read bytes irate of one host', `irate(node_disk_read_bytes_total{${h}}[5m])`, false),
    meta('label names', '/api/v1/labels'),
    meta('label values: instance', '/api/v1/label/instance/values'),
    meta('label values: job', '/api/v1/label/job/values'),
    meta('label values: __name__', '/api/v1/label/__name__/values'),
    meta('label values: instance of node_uname_info', '/api/v1/label/instance/values', 'node_uname_info{job="node"}'),
    meta('series: node_uname_info', '/api/v1/series', 'node_uname_info'),
    meta('series: network metrics of one host', '/api/v1/series', `{__name__=~"node_network_.+",${h}}`),
  ];
}
