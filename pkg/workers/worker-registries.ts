// The metrics of a pool's workers, for /metrics to sum. Each worker sends its registry's JSON
// when it starts and at most once a second while it works; when a worker is replaced, its counters and histograms are kept in `retired`
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

  /** One set per live worker, and one for the replaced workers' counters: to sum with other registries. */
  async json(): Promise<MetricsJson[]> {
    await this.#folding;
    return [this.#retired, ...this.#live.values()];
  }
}
