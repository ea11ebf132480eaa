// The parser of Go's text/template subset (lex.ts): a tree of text, actions, if / range / with,
// variable declarations, pipelines of commands, and named templates (define / template / block).
import { TemplateSyntaxError, lex } from './lex.js';
import type { Token } from './lex.js';

export type Operand =
  | { kind: 'dot'; fields: string[] }
  | { kind: 'var'; name: string; fields: string[] }
  | { kind: 'func'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'pipe'; pipe: Pipeline; fields: string[] };

export interface Pipeline {
  /** Variables declared (`:=`) or assigned (`=`) by this pipeline. */
  vars: string[];
  assign: boolean;
  cmds: Operand[][];
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] }
  /** `{{template "name" pipeline}}`: runs the named template with dot set to the pipeline (or nil). */
  | { kind: 'template'; name: string; pipe: Pipeline | undefined };

/** A parsed template: its own nodes and the named templates it defines. */
export interface ParsedTemplate {
  list: Node[];
  defines: ReadonlyMap<string, Node[]>;
}

const keywords = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** Parses a template; throws TemplateSyntaxError with a message in Go's style. */
export function parseTemplate(name: string, src: string, funcs: ReadonlySet<string>): ParsedTemplate {
  const p = new Parser(name, lex(name, src), funcs);
  const { list, end } = p.list();
  if (end !== 'eof') p.fail(`unexpected {{${end}}}`);
  return { list, defines: p.defines };
}

class Parser {
  #pos = 0;
  #vars: string[][] = [['$']];
  /** Depth of if / with / range / define: {{define}} is allowed at the top only, as in Go. */
  #nesting = 0;
  readonly defines = new Map<string, Node[]>();

  constructor(readonly name: string, readonly tokens: Token[], readonly funcs: ReadonlySet<string>) {}

  fail(msg: string): never {
    throw new TemplateSyntaxError(`template: ${this.name}: ${msg}`);
  }

  #next(): Token {
    return this.tokens[this.#pos++];
  }

  #peek(): Token {
    return this.tokens[this.#pos];
  }

  /** Nodes up to `{{end}}`, `{{else}}` or the end; says which ended it. */
  list(): { list: Node[]; end: 'eof' | 'end' | 'else' } {
    const list: Node[] = [];
    for (;;) {
      const t = this.#next();
      if (t.kind === 'eof') return { list, end: 'eof' };
      if (t.kind === 'text') {
        list.push({ kind: 'text', text: t.text });
        continue;
      }
      const kw = this.#peek();
      if (kw.kind === 'ident' && keywords.has(kw.text)) {
        this.#next();
        if (kw.text === 'end') {
          this.#expect('close', 'end');
          return { list, end: 'end' };
        }
        if (kw.text === 'else') return { list, end: 'else' };
        if (kw.text === 'if' || kw.text === 'with' || kw.text === 'range') list.push(this.#control(kw.text));
        else if (kw.text === 'define' && this.#nesting === 0) this.#define(this.#templateName('define'), undefined);
        else if (kw.text === 'template') list.push(this.#templateCall());
        else if (kw.text === 'block') {
          const name = this.#templateName('block');
          list.push({ kind: 'template', name, pipe: this.#pipeline('block') });
          this.#define(name, 'block');
        } else if (kw.text === 'define') this.fail('unexpected <define> in command');
        else this.fail(`{{${kw.text}}} is not supported in alert templates`);
        continue;
      }
      list.push({ kind: 'action', pipe: this.#pipeline('command') });
    }
  }

  /** `{{template "name"}}` or `{{template "name" pipeline}}`, after the keyword. */
  #templateCall(): Node {
    const name = this.#templateName('template');
    if (this.#peek().kind === 'close') {
      this.#next();
      return { kind: 'template', name, pipe: undefined };
    }
    return { kind: 'template', name, pipe: this.#pipeline('template') };
  }

  #templateName(context: string): string {
    return unquote(this.#expect('string', `${context} clause`).text);
  }

  /**
   * The body of a named template up to its {{end}} (the `{{define "name"}}` action closed first
   * unless it is a block, whose pipeline was read). Its variables start afresh with `$`, as in Go.
   */
  #define(name: string, block: 'block' | undefined): void {
    if (block === undefined) this.#expect('close', 'define clause');
    const vars = this.#vars;
    this.#vars = [['$']];
    this.#nesting++;
    const { list, end } = this.list();
    this.#nesting--;
    this.#vars = vars;
    if (end !== 'end') this.fail(`unexpected ${end === 'eof' ? 'EOF' : '{{else}}'} in ${block ?? 'define'}`);
    if (this.defines.has(name) && list.some((n) => n.kind !== 'text' || n.text.trim() !== '')) this.fail(`multiple definition of template "${name}"`);
    this.defines.set(name, list);
  }

  #control(kind: 'if' | 'with' | 'range'): Node {
    this.#nesting++;
    this.#vars.push([]);
    const pipe = this.#pipeline(kind);
    const first = this.list();
    const list = first.list;
    let end = first.end;
    let elseList: Node[] = [];
    if (end === 'else') {
      const t = this.#peek();
      // `{{else if ...}}` is an if nested in the else branch, closed by the same {{end}}.
      if ((kind === 'if' || kind === 'with') && t.kind === 'ident' && t.text === kind) {
        this.#next();
        elseList = [this.#control(kind)];
        end = 'end';
      } else {
        this.#expect('close', 'else');
        ({ list: elseList, end } = this.list());
      }
    }
    if (end !== 'end') this.fail(`unexpected EOF in ${kind}`);
    this.#vars.pop();
    this.#nesting--;
    return { kind, pipe, list, elseList };
  }

  #expect(kind: Token['kind'], context: string): Token {
    const t = this.#next();
    if (t.kind !== kind) this.fail(`unexpected ${describe(t)} in ${context}`);
    return t;
  }

  /** A pipeline up to `}}` (or `)` when `inParens`), with an optional declaration in front. */
  #pipeline(context: string, inParens = false): Pipeline {
    const pipe: Pipeline = { vars: [], assign: false, cmds: [] };
    const save = this.#pos;
    const v = this.#next();
    if (v.kind === 'var') {
      const n = this.#peek();
      if (n.kind === 'declare' || n.kind === 'assign' || (n.kind === 'comma' && context === 'range')) {
        pipe.vars.push(v.text);
        if (n.kind === 'comma') {
          this.#next();
          pipe.vars.push(this.#expect('var', 'range').text);
        }
        const op = this.#next();
        if (op.kind !== 'declare' && op.kind !== 'assign') this.fail(`expected := or = in ${context}`);
        pipe.assign = op.kind === 'assign';
        if (pipe.assign && !this.#known(v.text)) this.fail(`undefined variable "${v.text}"`);
        if (!pipe.assign) this.#vars[this.#vars.length - 1].push(...pipe.vars);
      } else this.#pos = save;
    } else this.#pos = save;
    const end = inParens ? 'rparen' : 'close';
    for (;;) {
      pipe.cmds.push(this.#command(end));
      const t = this.#next();
      if (t.kind === end) break;
      if (t.kind !== 'pipe') this.fail(`unexpected ${describe(t)} in ${context}`);
    }
    if (pipe.cmds.some((c) => c.length === 0)) this.fail(`missing value for ${context}`);
    return pipe;
  }

  #command(end: Token['kind']): Operand[] {
    const args: Operand[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.kind === end || t.kind === 'pipe') return args;
      if (args.length > 0 && !t.spaced && t.kind !== 'lparen') this.fail(`missing space before ${describe(t)}`);
      this.#next();
      args.push(this.#operand(t));
    }
  }

  #operand(t: Token): Operand {
    switch (t.kind) {
      case 'dot': return { kind: 'dot', fields: [] };
      case 'field': return { kind: 'dot', fields: [t.text.slice(1), ...this.#fields()] };
      case 'var':
        if (!this.#known(t.text)) this.fail(`undefined variable "${t.text}"`);
        return { kind: 'var', name: t.text, fields: this.#fields() };
      case 'string': return { kind: 'string', value: unquote(t.text) };
      case 'number': return { kind: 'number', text: t.text };
      case 'lparen': return { kind: 'pipe', pipe: this.#pipeline('parenthesized pipeline', true), fields: this.#fields() };
      case 'ident':
        if (t.text === 'true' || t.text === 'false') return { kind: 'bool', value: t.text === 'true' };
        if (t.text === 'nil') return { kind: 'nil' };
        if (!this.funcs.has(t.text)) this.fail(`function "${t.text}" not defined`);
        return { kind: 'func', name: t.text };
      default: return this.fail(`unexpected ${describe(t)} in operand`);
    }
  }

  /** Field names chained right after an operand, with no space: `$labels.job`, `(...).Value`. */
  #fields(): string[] {
    const out: string[] = [];
    while (this.#peek().kind === 'field' && !this.#peek().spaced) out.push(this.#next().text.slice(1));
    return out;
  }

  #known(v: string): boolean {
    return this.#vars.some((scope) => scope.includes(v));
  }
}

function describe(t: Token): string {
  return t.kind === 'close' ? '"}}"' : t.kind === 'eof' ? 'EOF' : `<${t.text}>`;
}

/** A Go string literal's value: "..." with escapes, or `raw`. */
function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{3}|.)/g, (_, e: string) => {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (e.length === 1) {
      if (simple[e] === undefined) throw new TemplateSyntaxError(`unknown escape sequence \\${e}`);
      return simple[e];
    }
    if (e[0] === 'x' || e[0] === 'u') return String.fromCharCode(parseInt(e.slice(1), 16));
    return String.fromCharCode(parseInt(e, 8));
  });
}
