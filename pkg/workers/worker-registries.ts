// The metrics of a pool's workers, summed for /metrics. Each worker sends its registry's JSON
// after every task; when a worker is replaced, its counters and histograms are kept in `retired`
// so that sums never go down (gauges die with their worker).
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export class WorkerRegistries {
  readonly #live = new Map<number, MetricsJson>();
  #retired: MetricsJson = [];
  /** Folding into `retired` is async; text() waits for it so that no worker is counted twice or never. */
  #folding: Promise<void> = Promise.resolve();

  update(worker: number, json: object[]): void {
    this.#live.set(worker, json as MetricsJson);
  }

  retire(worker: number): void {
    const last = this.#live.get(worker);
    this.#live.delete(worker);
    if (last === undefined) return;
    // At run time `type` is the exposition name ('counter'); the typings say enum.
    const kept = last.filter((m) => ['counter', 'histogram'].includes(m.type as unknown as string));
    // aggregate() sums same-named series; its JSON is the new running total.
    this.#folding = this.#folding.then(async () => {
      this.#retired = await AggregatorRegistry.aggregate([this.#retired, kept]).getMetricsAsJSON();
    });
  }

  async text(): Promise<string> {
    await this.#folding;
    return AggregatorRegistry.aggregate([this.#retired, ...this.#live.values()]).metrics();
  }
}
