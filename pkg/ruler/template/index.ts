export { AlertTemplate, type AlertTemplateData } from './template.js';
export { TemplateSyntaxError } from './lex.js';
export { TemplateExecError } from './funcs.js';
export { formatFloat } from './go-format.js';
