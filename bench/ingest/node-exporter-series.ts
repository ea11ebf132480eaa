// Node-exporter-like label sets: per host the metric families a default node_exporter exposes,
// with their usual label names and cardinalities (cpu × mode, device, mountpoint, ...), about 600
// series per host, and `job`, `instance` on every series. Labels come out sorted.

interface Family {
  name: string;
  dims: [string, string[]][];
}

const cpus = Array.from({ length: 8 }, (_, i) => String(i));
const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const disks = ['nvme0n1', 'nvme1n1', 'sda', 'sdb'];
const nics = ['eth0', 'eth1', 'lo', 'docker0'];
const mounts: [string, string][] = [['/', 'ext4'], ['/boot', 'ext4'], ['/home', 'xfs'], ['/var/lib/docker', 'overlay'], ['/run', 'tmpfs']];

const families: Family[] = [
  { name: 'node_cpu_seconds_total', dims: [['cpu', cpus], ['mode', modes]] },
  { name: 'node_cpu_guest_seconds_total', dims: [['cpu', cpus], ['mode', ['nice', 'user']]] },
  ...['reads_completed_total', 'writes_completed_total', 'read_bytes_total', 'written_bytes_total', 'io_time_seconds_total', 'io_now', 'read_time_seconds_total', 'write_time_seconds_total', 'discards_completed_total', 'flush_requests_total']
    .map((m) => ({ name: `node_disk_${m}`, dims: [['device', disks]] as [string, string[]][] })),
  ...['receive_bytes_total', 'transmit_bytes_total', 'receive_packets_total', 'transmit_packets_total', 'receive_errs_total', 'transmit_errs_total', 'receive_drop_total', 'transmit_drop_total', 'up', 'mtu_bytes', 'speed_bytes', 'carrier']
    .map((m) => ({ name: `node_network_${m}`, dims: [['device', nics]] as [string, string[]][] })),
  ...['avail_bytes', 'free_bytes', 'size_bytes', 'files', 'files_free', 'readonly', 'device_error']
    .map((m) => ({ name: `node_filesystem_${m}`, dims: [['mountpoint', mounts.map((x) => x[0])]] as [string, string[]][] })),
  ...Array.from({ length: 60 }, (_, i) => ({ name: `node_memory_${['MemTotal', 'MemFree', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree', 'Active', 'Inactive', 'MemAvailable', 'Slab'][i % 10]}_${i < 10 ? '' : i}bytes`.replace('__', '_'), dims: [] })),
  ...Array.from({ length: 80 }, (_, i) => ({ name: `node_vmstat_${['pgfault', 'pgmajfault', 'pgpgin', 'pgpgout', 'pswpin', 'pswpout', 'oom_kill', 'numa_hit'][i % 8]}_${i}`, dims: [] })),
  { name: 'node_softnet_processed_total', dims: [['cpu', cpus]] },
  { name: 'node_softnet_dropped_total', dims: [['cpu', cpus]] },
  { name: 'node_interrupts_total', dims: [['cpu', cpus], ['devices', ['nvme0q0', 'eth0-rx', 'eth0-tx', 'timer', 'LOC', 'RES']]] },
  { name: 'node_load1', dims: [] },
  { name: 'node_load5', dims: [] },
  { name: 'node_load15', dims: [] },
  { name: 'node_boot_time_seconds', dims: [] },
  { name: 'node_context_switches_total', dims: [] },
  { name: 'node_scrape_collector_success', dims: [['collector', ['cpu', 'diskstats', 'filesystem', 'loadavg', 'meminfo', 'netdev', 'stat', 'vmstat', 'time', 'uname']]] },
  { name: 'node_uname_info', dims: [['machine', ['x86_64']], ['release', ['6.1.0-18-amd64']], ['sysname', ['Linux']]] },
  { name: 'up', dims: [] }, // the scrape's own series
];

/** The label sets (sorted [name, value] pairs) of one host. */
function hostSeries(host: number): [string, string][][] {
  const out: [string, string][][] = [];
  const base: [string, string][] = [['instance', `host-${String(host).padStart(5, '0')}.example.internal:9100`], ['job', 'node']];
  for (const f of families) {
    const combos: [string, string][][] = [[]];
    for (const [dim, values] of f.dims) {
      const next: [string, string][][] = [];
      for (const c of combos) for (const v of values) next.push([...c, [dim, v]]);
      combos.splice(0, combos.length, ...next);
    }
    for (const c of combos) {
      const ls: [string, string][] = [['__name__', f.name], ...base, ...c];
      if (f.name.startsWith('node_filesystem')) {
        const mp = c.find((x) => x[0] === 'mountpoint')?.[1];
        const m = mounts.find((x) => x[0] === mp);
        if (m !== undefined) ls.push(['device', `/dev/${m[1] === 'tmpfs' ? 'tmpfs' : 'nvme0n1p' + mounts.indexOf(m)}`], ['fstype', m[1]]);
      }
      out.push(ls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    }
  }
  return out;
}

/** Series of one host: `nodeExporterSeries(hosts * SERIES_PER_HOST)` is `hosts` whole hosts. */
export const SERIES_PER_HOST = hostSeries(0).length;

/** `n` label sets from as many hosts as needed. */
export function nodeExporterSeries(n: number): [string, string][][] {
  const out: [string, string][][] = [];
  for (let host = 0; out.length < n; host++) {
    for (const s of hostSeries(host)) {
      if (out.length === n) break;
      out.push(s);
    }
  }
  return out;
}
