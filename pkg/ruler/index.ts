export { RuleFormatError, parseRuleFile, parseRuleGroup, ruleFileYaml, ruleGroupYaml, type RuleDesc, type RuleGroupDesc } from './rulefmt.js';
export { rulerConfig, rulerStorageConfig, validateRulerConfig, type RulerConfig, type RulerStorageConfig } from './config.js';
export { BucketRuleStore, LocalRuleStore, type RuleStore } from './rule-store.js';
export { registerRuleConfigApi } from './config-api.js';
export { groupJson, registerRulesApi } from './prometheus-api.js';
export { RulerPeers, RulerService, rulerGrpcHandlers, type GroupJson } from './ruler-peers.js';
export { distributorAppend, ruleQueries } from './rule-query.js';
export { Ruler, type RulerDeps } from './ruler.js';
export { RULER_RING_KEY, RULER_RING_NAME, RulerRing } from './ruler-ring.js';
