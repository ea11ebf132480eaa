/** Prints an AST back to PromQL the way Prometheus' String() methods do (used by format_query). */
import { MetricName } from '../../model/labels/index.js';
import { formatFloat } from '../format-float.js';
import type { Expr, TimeModifiers, VectorSelector } from './ast.js';
import { NodeKind } from './ast.js';
import { formatDuration, quoteString } from './lex-values.js';

export function exprToString(e: Expr): string {
  switch (e.kind) {
    case NodeKind.Number:
      return formatFloat(e.value);
    case NodeKind.String:
      return quoteString(e.value);
    case NodeKind.VectorSelector:
      return selectorString(e) + modifiers(e);
    case NodeKind.MatrixSelector:
      return `${selectorString(e.vector)}[${formatDuration(e.range)}]${modifiers(e.vector)}`;
    case NodeKind.Subquery: {
      const step = e.step === 0 ? '' : formatDuration(e.step);
      return `${exprToString(e.expr)}[${formatDuration(e.range)}:${step}]${modifiers(e)}`;
    }
    case NodeKind.Call:
      return `${e.func.name}(${e.args.map(exprToString).join(', ')})`;
    case NodeKind.Aggregate: {
      let s = e.op;
      if (e.without) s += ` without (${e.grouping.join(', ')}) `;
      else if (e.grouping.length > 0) s += ` by (${e.grouping.join(', ')}) `;
      const param = e.param === null ? '' : `${exprToString(e.param)}, `;
      return `${s}(${param}${exprToString(e.expr)})`;
    }
    case NodeKind.Binary: {
      let mods = e.returnBool ? ' bool' : '';
      const m = e.matching;
      if (m !== null) {
        if (m.on) mods += ` on (${m.matchingLabels.join(', ')})`;
        else if (m.matchingLabels.length > 0) mods += ` ignoring (${m.matchingLabels.join(', ')})`;
        if (m.card === 'many-to-one' || m.card === 'one-to-many') {
          mods += m.card === 'many-to-one' ? ' group_left' : ' group_right';
          mods += ` (${m.include.join(', ')})`;
        }
      }
      return `${exprToString(e.lhs)} ${e.op}${mods} ${exprToString(e.rhs)}`;
    }
    case NodeKind.Unary:
      return `${e.op}${exprToString(e.expr)}`;
    case NodeKind.Paren:
      return `(${exprToString(e.expr)})`;
  }
}

function selectorString(v: VectorSelector): string {
  const parts: string[] = [];
  for (const m of v.matchers) {
    if (v.name !== '' && m.name === MetricName && m.type === '=' && m.value === v.name) continue;
    parts.push(`${m.name}${m.type}${quoteString(m.value)}`);
  }
  if (parts.length === 0) return v.name;
  return `${v.name}{${parts.join(', ')}}`;
}

function modifiers(t: TimeModifiers): string {
  let s = '';
  if (t.offset !== 0) s += ` offset ${t.offset < 0 ? '-' + formatDuration(-t.offset) : formatDuration(t.offset)}`;
  if (t.startOrEnd !== null) s += ` @ ${t.startOrEnd}()`;
  else if (t.timestamp !== null) s += ` @ ${(t.timestamp / 1000).toFixed(3)}`;
  return s;
}
