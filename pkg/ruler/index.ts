export { RuleFormatError, parseRuleFile, parseRuleGroup, ruleFileYaml, ruleGroupYaml, type RuleDesc, type RuleGroupDesc } from './rulefmt.js';
