import { abortedPromise, basicService } from '../services/index.js';
import type { Service } from '../services/index.js';

/** Builds a module's service; returns null for modules that only wire things up. Does no I/O. */
export type InitFn = () => Service | null | Promise<Service | null>;

interface ModuleDef {
  init: InitFn;
  userVisible: boolean;
}

/**
 * The module graph (dskit modules.Manager): modules register an init function and their
 * dependencies; `initModuleServices` initialises the transitive closure of the targets in dependency
 * order and wraps each service so that it starts after its dependencies are Running and stops before
 * them.
 */
export class ModuleManager {
  readonly #modules = new Map<string, ModuleDef>();
  readonly #deps = new Map<string, readonly string[]>();

  register(name: string, init: InitFn, opts: { userVisible?: boolean } = {}): void {
    if (this.#modules.has(name)) throw new Error(`BUG: module ${name} registered twice`);
    this.#modules.set(name, { init, userVisible: opts.userVisible ?? true });
  }

  addDependencies(name: string, deps: readonly string[]): void {
    this.#deps.set(name, deps);
  }

  /** Names a user may pass to -target. */
  userVisibleModules(): string[] {
    return [...this.#modules].filter(([, def]) => def.userVisible).map(([name]) => name).sort();
  }

  isUserVisible(name: string): boolean {
    return this.#modules.get(name)?.userVisible === true;
  }

  /** The targets and everything they depend on, dependencies first. Throws on unknown names and cycles. */
  dependencyOrder(targets: readonly string[]): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]) => {
      if (!this.#modules.has(name)) throw new Error(`unknown module ${JSON.stringify(name)}`);
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') throw new Error(`BUG: module dependency cycle: ${[...path, name].join(' → ')}`);
      state.set(name, 'visiting');
      for (const dep of this.#deps.get(name) ?? []) visit(dep, [...path, name]);
      state.set(name, 'done');
      order.push(name);
    };
    for (const t of targets) visit(t, []);
    return order;
  }

  /**
   * Initialises the targets' modules in dependency order and returns their wrapped services by name.
   * Modules whose init returns null have no service and are left out.
   */
  async initModuleServices(targets: readonly string[]): Promise<Map<string, Service>> {
    const order = this.dependencyOrder(targets);
    const raw = new Map<string, Service>();
    for (const name of order) {
      const svc = await (this.#modules.get(name) as ModuleDef).init();
      if (svc !== null) raw.set(name, svc);
    }
    const wrapped = new Map<string, Service>();
    for (const name of order) {
      const svc = raw.get(name);
      if (svc === undefined) continue;
      const deps = this.#serviceDeps(name, raw);
      const dependents = order.filter((other) => other !== name && raw.has(other) && this.#serviceDeps(other, raw).includes(name));
      wrapped.set(name, moduleService(name, svc, deps.map((d) => raw.get(d) as Service),
        () => dependents.map((d) => wrapped.get(d) as Service)));
    }
    return wrapped;
  }

  /** Transitive dependencies of `name` that have a service. */
  #serviceDeps(name: string, services: Map<string, Service>): string[] {
    return this.dependencyOrder([name]).filter((d) => d !== name && services.has(d));
  }
}

/**
 * Wraps a module's service (dskit moduleService): it starts the inner service only once every
 * dependency is Running, and stops it only after every dependent module has stopped.
 */
function moduleService(name: string, inner: Service, deps: readonly Service[], dependents: () => readonly Service[]): Service {
  return basicService(name, {
    async starting(signal) {
      for (const dep of deps) {
        try {
          await dep.awaitRunning(signal);
        } catch (err) {
          if (signal.aborted) return;
          throw new Error(`module ${name} cannot start: dependency ${dep.name} is ${dep.state()}`, { cause: err });
        }
      }
      if (signal.aborted) return;
      inner.startAsync();
      await inner.awaitRunning(signal).catch((err: unknown) => {
        if (!signal.aborted) throw new Error(`starting module ${name}`, { cause: err });
      });
    },
    async running(signal) {
      const outcome = await Promise.race([
        inner.awaitTerminated().then(() => 'terminated' as const, (err: unknown) => err),
        abortedPromise(signal).then(() => 'aborted' as const),
      ]);
      // A module that ends cleanly on its own (e.g. the ingester after /ingester/shutdown) stops
      // without failing; the process decides what follows (ServiceManager.onTerminated).
      if (outcome === 'aborted' || outcome === 'terminated' || signal.aborted) return;
      throw new Error(`module ${name} failed`, { cause: outcome });
    },
    async stopping() {
      await Promise.allSettled(dependents().map((d) => d.awaitTerminated()));
      inner.stopAsync();
      await inner.awaitTerminated();
    },
  });
}
