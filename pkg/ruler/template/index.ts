export { AlertTemplate, type AlertTemplateData } from './template.js';
export { TemplateSyntaxError } from './lex.js';
export { TemplateExecError, graphLink, tableLink } from './funcs.js';
export { formatFloat } from './go-format.js';
