import type { Service, State } from './service.js';

/**
 * Starts and stops a set of services together (dskit ServiceManager). The first service that fails
 * is reported through `onFailure`; stopping the manager stops every service and waits for all.
 */
export class ServiceManager {
  readonly #services: readonly Service[];

  constructor(services: readonly Service[]) {
    this.#services = services;
  }

  /** Calls `fn` once for each service that ends in Failed, with its name and failure. */
  onFailure(fn: (name: string, failure: Error) => void): void {
    for (const svc of this.#services) {
      svc.addListener((_from, to) => {
        if (to === 'Failed') fn(svc.name, svc.failureCase() as Error);
      });
    }
  }

  /** Calls `fn` once for each service that ends in Terminated (stopped cleanly). */
  onTerminated(fn: (name: string) => void): void {
    for (const svc of this.#services) {
      svc.addListener((_from, to) => {
        if (to === 'Terminated') fn(svc.name);
      });
    }
  }

  startAsync(): void {
    for (const svc of this.#services) svc.startAsync();
  }

  /** Resolves when every service is Running; rejects with the first failure. */
  async awaitHealthy(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.#services.map((svc) => svc.awaitRunning(signal)));
  }

  isHealthy(): boolean {
    return this.#services.every((svc) => svc.state() === 'Running');
  }

  stopAsync(): void {
    for (const svc of this.#services) svc.stopAsync();
  }

  /** Resolves when every service has stopped, whether cleanly or not. */
  async awaitStopped(): Promise<void> {
    await Promise.allSettled(this.#services.map((svc) => svc.awaitTerminated()));
  }

  states(): Map<string, State> {
    return new Map(this.#services.map((svc) => [svc.name, svc.state()]));
  }
}
