export { parseArgs, expandEnv } from './args.js';
export { loadConfig } from './load.js';
export type { LoadOptions, LoadResult } from './load.js';
export type { Aliases } from './aliases.js';
export { didYouMean, nearestName } from './suggest.js';
export type { ParsedFlag } from './args.js';
export { formatDuration, parseDuration } from './duration.js';
export { parseBytes } from './bytes.js';
export {
  ConfigError,
  applyFlag,
  applyYaml,
  defaults,
  flagBindings,
  flagCategory,
  helpText,
  snakeCase,
  toYamlObject,
} from './config.js';
export type { FlagBinding } from './config.js';
export { bool, bytes, duration, float, int, mapping, oneOf, refusedSection, section, string, stringList, unsupported } from './fields.js';
export type { Category, ConfigOf, Field, Fields, Section } from './fields.js';
