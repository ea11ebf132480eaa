// The lexer of Go's text/template, for the subset Prometheus' alert templates use: text, actions
// `{{ }}` with `{{-`/`-}}` trimming, comments, fields, variables, literals, `|`, `(`, `)`, `:=`, `=`.

export type TokenKind =
  | 'text' | 'open' | 'close' | 'field' | 'var' | 'ident' | 'string' | 'number' | 'pipe' | 'lparen' | 'rparen'
  | 'declare' | 'assign' | 'comma' | 'dot' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Whitespace separates this token from the previous one (`$x .F` is two operands, `$x.F` one). */
  spaced: boolean;
}

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

/** Splits `src` into tokens; throws TemplateSyntaxError with Go's wording for what it cannot lex. */
export function lex(name: string, src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    let open = src.indexOf('{{', i);
    if (open < 0) open = src.length;
    let text = src.slice(i, open);
    const trimLeft = src.startsWith('{{- ', open) || src.startsWith('{{-\t', open) || src.startsWith('{{-\n', open);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text !== '') out.push({ kind: 'text', text, spaced: false });
    if (open >= src.length) break;
    i = lexAction(name, src, open + (trimLeft ? 3 : 2), out);
  }
  out.push({ kind: 'eof', text: '', spaced: false });
  return out;
}

/** Lexes one action from `i` (just after `{{` or `{{-`); returns the index after its `}}`. */
function lexAction(name: string, src: string, start: number, out: Token[]): number {
  const line = (): number => src.slice(0, start).split('\n').length;
  const fail = (msg: string): never => {
    throw new TemplateSyntaxError(`template: ${name}:${line()}: ${msg}`);
  };
  let i = start;
  // A comment is the whole action: {{/* ... */}}.
  const afterSpace = src.slice(i).match(/^[ \t\r\n]*/)?.[0].length ?? 0;
  if (src.startsWith('/*', i + afterSpace)) {
    const end = src.indexOf('*/', i + afterSpace + 2);
    if (end < 0) fail('unclosed comment');
    return closeAction(src, end + 2, fail);
  }
  out.push({ kind: 'open', text: '{{', spaced: false });
  let spaced = false;
  for (;;) {
    if (i >= src.length) fail('unclosed action');
    const c = src[i];
    if (src.startsWith('-}}', i) && spaced) {
      out.push({ kind: 'close', text: '}}', spaced });
      return skipSpace(src, i + 3);
    }
    if (src.startsWith('}}', i)) {
      out.push({ kind: 'close', text: '}}', spaced });
      return i + 2;
    }
    if (isSpace(c)) {
      spaced = true;
      i++;
      continue;
    }
    const push = (kind: TokenKind, text: string): void => {
      out.push({ kind, text, spaced });
      spaced = false;
      i += text.length;
    };
    if (c === '|') push('pipe', c);
    else if (c === '(') push('lparen', c);
    else if (c === ')') push('rparen', c);
    else if (c === ',') push('comma', c);
    else if (src.startsWith(':=', i)) push('declare', ':=');
    else if (c === '=') push('assign', c);
    else if (c === '"') push('string', quoted(src, i, fail));
    else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw quoted string');
      push('string', src.slice(i, end + 1));
    } else if (c === '$') push('var', '$' + word(src, i + 1));
    else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      const w = word(src, i + 1);
      push(w === '' ? 'dot' : 'field', '.' + w);
    } else if (/[0-9+\-.]/.test(c)) {
      const m = src.slice(i).match(/^[+-]?(0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9]+)?)/);
      const num = m?.[0] ?? '';
      if (num === '' || num === '+' || num === '-') fail(`unexpected "${c}" in command`);
      push('number', num);
    } else if (isAlnum(c)) push('ident', word(src, i));
    else fail(`unexpected "${c}" in command`);
  }
}

function closeAction(src: string, i: number, fail: (m: string) => never): number {
  if (src.startsWith(' -}}', i)) return skipSpace(src, i + 4);
  if (src.startsWith('}}', i)) return i + 2;
  return fail('comment ends before closing delimiter');
}

function skipSpace(src: string, i: number): number {
  while (i < src.length && isSpace(src[i])) i++;
  return i;
}

function word(src: string, i: number): string {
  let j = i;
  while (j < src.length && isAlnum(src[j])) j++;
  return src.slice(i, j);
}

function quoted(src: string, i: number, fail: (m: string) => never): string {
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === '\n') break;
    else if (src[j] === '"') return src.slice(i, j + 1);
  }
  return fail('unterminated quoted string');
}
