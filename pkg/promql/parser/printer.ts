/**
 * Prints an AST back to PromQL: `exprToString` as Prometheus' String() methods, `prettyPrint` as
 * its Pretty() (what the API's format_query answers): any node whose one-line form is longer than
 * 100 characters is split, children indented two spaces per level.
 */
import { MetricName } from '../../model/labels/index.js';
import { formatFloat } from '../format-float.js';
import type { BinaryExpr, Expr, SubqueryExpr, TimeModifiers, VectorSelector } from './ast.js';
import { Card, NodeKind } from './ast.js';
import { formatDuration, quoteString } from './lex-values.js';

export function exprToString(e: Expr): string {
  switch (e.kind) {
    case NodeKind.Number:
      if (e.duration) return e.value < 0 ? '-' + formatDuration(-e.value * 1000) : formatDuration(e.value * 1000);
      return formatFloat(e.value);
    case NodeKind.String:
      return quoteString(e.value);
    case NodeKind.VectorSelector:
      return selectorString(e) + modifiers(e);
    case NodeKind.MatrixSelector:
      return `${selectorString(e.vector)}[${formatDuration(e.range)}]${modifiers(e.vector)}`;
    case NodeKind.Subquery:
      return exprToString(e.expr) + subquerySuffix(e);
    case NodeKind.Call:
      return `${e.func.name}(${e.args.map(exprToString).join(', ')})`;
    case NodeKind.Aggregate: {
      const param = e.param === null ? '' : `${exprToString(e.param)}, `;
      return `${aggregationOp(e.op, e.grouping, e.without)}(${param}${exprToString(e.expr)})`;
    }
    case NodeKind.Binary:
      return `${exprToString(e.lhs)} ${e.op}${binaryModifiers(e)} ${exprToString(e.rhs)}`;
    case NodeKind.Unary:
      return `${e.op}${exprToString(e.expr)}`;
    case NodeKind.Paren:
      return `(${exprToString(e.expr)})`;
  }
}

const maxLine = 100;

function indent(level: number): string {
  return '  '.repeat(level);
}

export function prettyPrint(e: Expr, level = 0): string {
  const flat = exprToString(e);
  const split = flat.length > maxLine;
  switch (e.kind) {
    case NodeKind.Aggregate: {
      if (!split) return indent(level) + flat;
      const param = e.param === null ? '' : `${prettyPrint(e.param, level + 1)},\n`;
      return `${indent(level)}${aggregationOp(e.op, e.grouping, e.without)}(\n${param}${prettyPrint(e.expr, level + 1)}\n${indent(level)})`;
    }
    case NodeKind.Binary:
      if (!split) return indent(level) + flat;
      return `${prettyPrint(e.lhs, level + 1)}\n${indent(level)}${e.op}${binaryModifiers(e)}\n${prettyPrint(e.rhs, level + 1)}`;
    case NodeKind.Call:
      if (!split) return indent(level) + flat;
      return `${indent(level)}${e.func.name}(\n${e.args.map((a) => prettyPrint(a, level + 1)).join(',\n')}\n${indent(level)})`;
    case NodeKind.Paren:
      if (!split) return indent(level) + flat;
      return `${indent(level)}(\n${prettyPrint(e.expr, level + 1)}\n${indent(level)})`;
    case NodeKind.Subquery:
      // As Prometheus: an unsplit subquery is not indented.
      return split ? prettyPrint(e.expr, level) + subquerySuffix(e) : flat;
    case NodeKind.Unary:
      return `${indent(level)}${e.op}${prettyPrint(e.expr, level).trim()}`;
    default:
      return indent(level) + flat;
  }
}

function aggregationOp(op: string, grouping: readonly string[], without: boolean): string {
  if (without) return `${op} without (${grouping.join(', ')}) `;
  if (grouping.length > 0) return `${op} by (${grouping.join(', ')}) `;
  return op;
}

function binaryModifiers(e: BinaryExpr): string {
  let s = e.returnBool ? ' bool' : '';
  const m = e.matching;
  if (m !== null && (m.matchingLabels.length > 0 || m.on)) {
    s += ` ${m.on ? 'on' : 'ignoring'} (${m.matchingLabels.join(', ')})`;
    if (m.card === Card.ManyToOne || m.card === Card.OneToMany) {
      s += ` group_${m.card === Card.ManyToOne ? 'left' : 'right'} (${m.include.join(', ')})`;
    }
  }
  return s;
}

function subquerySuffix(e: SubqueryExpr): string {
  const step = e.step === 0 ? '' : formatDuration(e.step);
  return `[${formatDuration(e.range)}:${step}]${modifiers(e)}`;
}

/** Matchers sorted as text and joined by ",", the name matcher folded into the name. */
function selectorString(v: VectorSelector): string {
  const parts: string[] = [];
  for (const m of v.matchers) {
    if (v.name !== '' && m.name === MetricName && m.type === '=' && m.value === v.name) continue;
    parts.push(`${m.name}${m.type}${quoteString(m.value)}`);
  }
  if (parts.length === 0) return v.name;
  parts.sort();
  return `${v.name}{${parts.join(',')}}`;
}

function modifiers(t: TimeModifiers): string {
  let s = '';
  if (t.startOrEnd !== null) s += ` @ ${t.startOrEnd}()`;
  else if (t.timestamp !== null) s += ` @ ${(t.timestamp / 1000).toFixed(3)}`;
  if (t.offset !== 0) s += ` offset ${t.offset < 0 ? '-' + formatDuration(-t.offset) : formatDuration(t.offset)}`;
  return s;
}
