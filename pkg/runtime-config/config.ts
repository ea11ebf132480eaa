import { duration, section, string } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';

export const runtimeConfigConfig = section({
  file: string({ flag: 'runtime-config.file', default: '', help: 'File with the configuration that can be updated at runtime (per-tenant overrides, multi KV switch).' }),
  period: duration({ flag: 'runtime-config.reload-period', default: '10s', help: 'How often to check the runtime config file.' }),
}, { yaml: 'runtime_config' });
export type RuntimeConfigConfig = ConfigOf<typeof runtimeConfigConfig>;
