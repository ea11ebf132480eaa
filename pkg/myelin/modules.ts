/** Module names, exactly as `-target` spells them. */
export const Module = {
  Server: 'server',
  RuntimeConfig: 'runtime-config',
  Overrides: 'overrides',
  Ring: 'ring',
  Distributor: 'distributor',
  Ingester: 'ingester',
  Querier: 'querier',
  StoreGateway: 'store-gateway',
  Compactor: 'compactor',
  QueryFrontend: 'query-frontend',
  Ruler: 'ruler',
  All: 'all',
} as const;
export type ModuleName = (typeof Module)[keyof typeof Module];

/** The module graph; `satisfies` makes a module without an entry a compile error. */
export const moduleDeps = {
  [Module.Server]: [],
  [Module.RuntimeConfig]: [Module.Server],
  [Module.Overrides]: [Module.RuntimeConfig],
  [Module.Ring]: [Module.Server, Module.RuntimeConfig],
  [Module.Distributor]: [Module.Server, Module.Overrides, Module.Ring],
  [Module.Ingester]: [Module.Server, Module.Overrides, Module.Ring],
  [Module.Querier]: [Module.Server, Module.Overrides, Module.Ring],
  [Module.StoreGateway]: [Module.Server, Module.Overrides],
  [Module.Compactor]: [Module.Server, Module.Overrides],
  [Module.QueryFrontend]: [Module.Server, Module.Overrides],
  // As in Cortex, the ruler queries and writes through an in-process querier and distributor.
  [Module.Ruler]: [Module.Server, Module.Overrides, Module.Distributor, Module.Querier],
  [Module.All]: [Module.QueryFrontend, Module.Querier, Module.Ingester, Module.Distributor, Module.StoreGateway, Module.Compactor, Module.Ruler],
} satisfies Record<ModuleName, readonly ModuleName[]>;

/** Modules that are wiring only and cannot be a -target of their own. */
export const internalModules: ReadonlySet<ModuleName> = new Set([Module.Server, Module.RuntimeConfig, Module.Overrides, Module.Ring]);
