// Thanos' sidecar refuses to ship from a Prometheus that compacts its own blocks; so does ours.
/** Throws unless the Prometheus at `url` runs with equal min and max block durations. */
export async function checkPrometheusBlockDurations(url: string, signal?: AbortSignal): Promise<void> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/api/v1/status/flags`, { signal });
  if (!res.ok) throw new Error(`GET ${url}/api/v1/status/flags: HTTP ${res.status}`);
  const flags = ((await res.json()) as { data?: Record<string, string> }).data ?? {};
  const min = flags['storage.tsdb.min-block-duration'];
  const max = flags['storage.tsdb.max-block-duration'];
  if (min === undefined || min !== max) {
    throw new Error(`Prometheus at ${url} runs with --storage.tsdb.min-block-duration=${min} and --storage.tsdb.max-block-duration=${max}: they must be equal, or it compacts blocks that were already shipped`);
  }
}
