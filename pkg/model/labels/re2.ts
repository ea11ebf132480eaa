/**
 * RE2 regexes (what Prometheus accepts in `=~`, `!~` and label_replace) in a linear-time engine.
 *
 * re2js is a JavaScript port of Go's regexp package (through RE2/J): the same syntax, the same
 * error messages, and matching by automata (DFA, one-pass, bounded bit-state backtracking, NFA)
 * whose cost grows linearly with the input. V8's own RegExp backtracks, so `(a+)+b` against a long
 * value never returns; with re2js it takes microseconds.
 */
import { RE2JS, RE2JSException } from 're2js';

export type RE2 = RE2JS;

export class RegexpSyntaxError extends SyntaxError {
  readonly code = 'invalid_regexp';
  /** `message` is the one Prometheus gives: error parsing regexp: missing closing ): `^(?:(a)$` */
  constructor(message: string) {
    super(message);
    this.name = 'RegexpSyntaxError';
  }
}

/**
 * Compiles `pattern` with `.` matching newlines, as Prometheus 3 does. Prometheus anchors by
 * compiling `^(?:pattern)$`; here the engine anchors instead (`testExact(v)`, or
 * `matcher(v).matches()` for groups), so `a)|(b` stays invalid rather than becoming unanchored.
 * Throws a RegexpSyntaxError for patterns RE2 refuses.
 */
export function compileRE2(pattern: string): RE2 {
  try {
    return RE2JS.compile(pattern, RE2JS.DOTALL);
  } catch (err) {
    // Syntax errors, and programs RE2 finds too large, are the pattern's fault.
    if (err instanceof RE2JSException) throw new RegexpSyntaxError(prometheusMessage(pattern));
    throw err;
  }
}

/** Go's message for the text Prometheus compiles, or for the pattern alone when only that fails. */
function prometheusMessage(pattern: string): string {
  for (const text of [`^(?:${pattern})$`, pattern]) {
    try {
      RE2JS.compile(text);
    } catch (err) {
      return (err as Error).message;
    }
  }
  throw new Error(`BUG: ${JSON.stringify(pattern)} failed to compile only with flags`);
}
