/** Parse errors: Prometheus' wording and positions for what the Lezer grammar rejects. */
import { getFunction } from './functions.js';

/** A parse or type error, worded and positioned as Prometheus words them. */
export class ParseError extends Error {
  readonly code = 'bad_data';
  readonly pos: number;
  constructor(input: string, pos: number, msg: string) {
    super(`${lineCol(input, pos)}: parse error: ${msg}`);
    this.name = 'ParseError';
    this.pos = pos;
  }
}

/** `line:col` (both 1-based) of an offset in a query, as Prometheus prints positions. */
export function lineCol(input: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < input.length; i++) {
    if (input[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return `${line}:${pos - lineStart + 1}`;
}

/** The error for a Lezer error node at offset `at`. */
export function syntaxError(input: string, at: number): ParseError {
  const rest = input.slice(at).trimStart();
  if (rest === '') return new ParseError(input, input.length, unclosed(input));
  const before = input.slice(0, at).trimEnd();
  if (rest[0] === '}' && /[=~!]$/.test(before)) {
    return new ParseError(input, at, 'unexpected "}" in label matching, expected string');
  }
  if (rest[0] === ')' && !before.includes('(')) {
    // The lexer reports an unbalanced parenthesis after consuming it.
    return new ParseError(input, at + 1, "unexpected right parenthesis ')'");
  }
  const m = /([A-Za-z_:][\w:]*)\s*$/.exec(input.slice(0, at));
  if (rest[0] === '(' && m !== null && m[1] === 'atan2') return new ParseError(input, m.index, 'unexpected <op:atan2>');
  if (rest[0] === '(' && m !== null && getFunction(m[1]) === undefined) {
    return new ParseError(input, m.index, `unknown function with name "${m[1]}"`);
  }
  return new ParseError(input, at, `unexpected ${describeToken(rest)}`);
}

const keywords: ReadonlySet<string> = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);

/** The token at the start of `rest`, described as Prometheus' parser describes items. */
function describeToken(rest: string): string {
  if (rest[0] === ':') return "colon ':'";
  const word = /^[A-Za-z_:][\w:]*/.exec(rest);
  if (word !== null) return keywords.has(word[0].toLowerCase()) ? `<${word[0].toLowerCase()}>` : `identifier ${JSON.stringify(word[0])}`;
  const str = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)/.exec(rest);
  if (str !== null) return `string ${JSON.stringify(str[0])}`;
  const num = /^(\d+(?:\.\d*)?|\.\d+)/.exec(rest);
  if (num !== null) return `number ${JSON.stringify(num[0])}`;
  switch (rest[0]) {
    case ')':
      return "right parenthesis ')'";
    case '(':
      return "left parenthesis '('";
    case ']':
      return "right bracket ']'";
    case '[':
      return "left bracket '['";
    case ':':
      return "colon ':'";
    case ',':
      return '","';
    default:
      return `character: '${rest[0]}'`;
  }
}

/** Prometheus' lexer message for input that ends while a bracket is still open. */
function unclosed(s: string): string {
  const tail = s.replace(/#[^\n]*/g, '').trimEnd();
  if (/\boffset\s*[-+]?$/i.test(tail)) return 'unexpected end of input in offset, expected duration';
  if (/@\s*(start|end)?$/.test(tail)) return 'unexpected end of input in @, expected timestamp';
  if (/\b(by|without|on|ignoring)$/i.test(tail)) return 'unexpected end of input in grouping opts, expected "("';
  let parens = 0;
  let brackets = 0;
  let braces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += c !== '`' && s[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '#') {
      const j = s.indexOf('\n', i);
      i = j < 0 ? s.length : j;
    } else if (c === '(') parens++;
    else if (c === ')') parens--;
    else if (c === '[') brackets++;
    else if (c === ']') brackets--;
    else if (c === '{') braces++;
    else if (c === '}') braces--;
  }
  if (braces > 0) return 'unexpected end of input inside braces';
  if (parens > 0) return 'unclosed left parenthesis';
  if (brackets > 0) return 'unclosed left bracket';
  return 'unexpected end of input';
}
