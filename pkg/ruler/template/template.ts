// Alert templates as Prometheus expands them (template.Expander with missingkey=zero): the text
// starts with Prometheus' variable definitions ($labels, $externalLabels, $externalURL, $value),
// then runs over { Labels, ExternalLabels, ExternalURL, Value }.
import { GoInt, formatValue } from './go-format.js';
import { TemplateExecError, isTrue, templateFuncs } from './funcs.js';
import type { TemplateFunc } from './funcs.js';
import { parseTemplate } from './parse.js';
import type { Node, Operand, ParsedTemplate, Pipeline } from './parse.js';

const defs = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';
const funcNames: ReadonlySet<string> = new Set(templateFuncs.keys());
/** Output beyond this many characters ends the expansion: templates run on the ruler's main thread. */
const maxOutput = 64 * 1024;
/** Nesting of {{template}} calls past which the expansion fails (Go's maxExecDepth, smaller). */
const maxTemplateDepth = 1000;

export interface AlertTemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalURL: string;
  value: number;
}

export class AlertTemplate {
  readonly #name: string;
  readonly #tree: ParsedTemplate;

  /** Parses `text`; throws TemplateSyntaxError naming `name` when it is not a valid template. */
  constructor(name: string, text: string) {
    this.#name = name;
    this.#tree = parseTemplate(name, defs + text, funcNames);
  }

  /** The expansion; throws TemplateExecError as Go's Execute fails. */
  expand(data: AlertTemplateData): string {
    const dot = new Map<string, unknown>([
      ['Labels', new Map(Object.entries(data.labels))],
      ['ExternalLabels', new Map(Object.entries(data.externalLabels))],
      ['ExternalURL', data.externalURL],
      ['Value', data.value],
    ]);
    const url = URL.canParse(data.externalURL) ? new URL(data.externalURL) : undefined;
    const funcs = new Map(templateFuncs);
    funcs.set('externalURL', () => data.externalURL);
    funcs.set('pathPrefix', () => url?.pathname.replace(/\/$/, '') ?? '');
    const run = new Run(this.#name, funcs, dot, this.#tree.defines);
    run.list(this.#tree.list, dot);
    return run.out;
  }
}

/** One execution: the output so far and the variable scopes. */
class Run {
  out = '';
  #vars: Array<Map<string, unknown>>;
  #depth = 0;

  constructor(readonly name: string, readonly funcs: ReadonlyMap<string, TemplateFunc>, root: unknown, readonly defines: ReadonlyMap<string, Node[]>) {
    this.#vars = [new Map([['$', root]])];
  }

  #fail(msg: string): never {
    throw new TemplateExecError(`template: ${this.name}: executing "${this.name}": ${msg}`);
  }

  #write(s: string): void {
    this.out += s;
    if (this.out.length > maxOutput) this.#fail(`output longer than ${maxOutput} characters`);
  }

  list(nodes: Node[], dot: unknown): void {
    for (const n of nodes) {
      if (n.kind === 'text') this.#write(n.text);
      else if (n.kind === 'action') {
        const v = this.#pipeline(n.pipe, dot);
        if (n.pipe.vars.length === 0) this.#write(formatValue(v));
      } else if (n.kind === 'template') this.#template(n, dot);
      else this.#control(n, dot);
    }
  }

  /** A named template runs with its own variables: only `$`, set to its dot. */
  #template(n: Extract<Node, { kind: 'template' }>, dot: unknown): void {
    const body = this.defines.get(n.name) ?? this.#fail(`template "${n.name}" not defined`);
    const v = n.pipe === undefined ? undefined : this.#pipeline(n.pipe, dot);
    if (++this.#depth > maxTemplateDepth) this.#fail(`exceeded maximum template depth (${maxTemplateDepth})`);
    const vars = this.#vars;
    this.#vars = [new Map([['$', v]])];
    try {
      this.list(body, v);
    } finally {
      this.#vars = vars;
      this.#depth--;
    }
  }

  #control(n: Extract<Node, { kind: 'if' | 'with' | 'range' }>, dot: unknown): void {
    this.#vars.push(new Map());
    try {
      const v = this.#pipeline(n.pipe, dot);
      if (n.kind !== 'range') {
        if (isTrue(v)) this.list(n.list, n.kind === 'with' ? v : dot);
        else this.list(n.elseList, dot);
        return;
      }
      const items: Array<[unknown, unknown]> = v instanceof Map
        ? [...v.keys()].sort().map((k) => [k, v.get(k)])
        : Array.isArray(v) ? v.map((x, i) => [new GoInt(i), x]) : v === undefined || v === null ? [] : this.#fail(`range can't iterate over ${formatValue(v)}`);
      if (items.length === 0) this.list(n.elseList, dot);
      for (const [k, x] of items) {
        const scope = this.#vars[this.#vars.length - 1];
        if (n.pipe.vars.length === 1) scope.set(n.pipe.vars[0], x);
        if (n.pipe.vars.length === 2) {
          scope.set(n.pipe.vars[0], k);
          scope.set(n.pipe.vars[1], x);
        }
        this.list(n.list, x);
      }
    } finally {
      this.#vars.pop();
    }
  }

  #pipeline(p: Pipeline, dot: unknown): unknown {
    let v: unknown;
    let piped = false;
    for (const cmd of p.cmds) {
      v = this.#command(cmd, dot, piped ? [v] : []);
      piped = true;
    }
    if (p.vars.length > 0) {
      if (p.assign) {
        const scope = this.#vars.findLast((s) => s.has(p.vars[0])) ?? this.#fail(`undefined variable: ${p.vars[0]}`);
        scope.set(p.vars[0], v);
      } else if (p.vars.length === 1) this.#vars[this.#vars.length - 1].set(p.vars[0], v);
    }
    return v;
  }

  #command(cmd: Operand[], dot: unknown, piped: unknown[]): unknown {
    const [head, ...rest] = cmd;
    if (head.kind === 'func') {
      const fn = this.funcs.get(head.name) ?? this.#fail(`function "${head.name}" not defined`);
      const args = [...rest.map((a) => this.#operand(a, dot)), ...piped];
      try {
        return fn(args);
      } catch (err) {
        if (err instanceof TemplateExecError) this.#fail(`error calling ${head.name}: ${err.message}`);
        throw err;
      }
    }
    if (rest.length > 0 || piped.length > 0) this.#fail(`can't give argument to non-function ${describe(head)}`);
    return this.#operand(head, dot);
  }

  #operand(o: Operand, dot: unknown): unknown {
    switch (o.kind) {
      case 'dot': return this.#fields(dot, o.fields);
      case 'var': {
        const scope = this.#vars.findLast((s) => s.has(o.name)) ?? this.#fail(`undefined variable: ${o.name}`);
        return this.#fields(scope.get(o.name), o.fields);
      }
      case 'func': return this.#command([o], dot, []);
      case 'string': return o.value;
      case 'number': return numberLiteral(o.text);
      case 'bool': return o.value;
      case 'nil': return this.#fail('nil is not a command');
      case 'pipe': return this.#fields(this.#pipeline(o.pipe, dot), o.fields);
    }
  }

  /** `.a.b` on a map (missing keys are "", Go's missingkey=zero for map[string]string) or a struct. */
  #fields(v: unknown, fields: string[]): unknown {
    for (const f of fields) {
      if (!(v instanceof Map)) this.#fail(`can't evaluate field ${f} in type ${v === undefined ? 'interface {}' : typeof v === 'number' ? 'float64' : typeof v}`);
      v = v.has(f) ? v.get(f) : '';
    }
    return v;
  }
}

function numberLiteral(text: string): unknown {
  const t = text.replace(/_/g, '');
  if (/^[+-]?(0[xX][0-9a-fA-F]+|\d+)$/.test(t)) return new GoInt(Number(t));
  return Number(t);
}

function describe(o: Operand): string {
  if (o.kind === 'string') return JSON.stringify(o.value);
  if (o.kind === 'number') return o.text;
  return o.kind;
}
