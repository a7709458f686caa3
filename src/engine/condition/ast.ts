/**
 * The condition AST. Every node keeps `{ origin, start, end }`: offsets into
 * the text that `origin` identifies, so any later error (unknown field, type
 * mismatch, macro cycle...) points at the exact characters, even when the node
 * came from a macro inlined into a rule.
 */
import type { Origin } from './condition-error.js';

export interface Span {
  origin: Origin;
  start: number;
  end: number;
}

/** Comparison operators, spelled as in Falco. */
export const BINARY_OPERATORS = [
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'glob',
  'iglob',
  'regex',
  'in',
  'intersects',
  'pmatch',
  // Case-insensitive forms (vigil's, for Sigma rules): icontains and iglob are Falco's.
  'iequals',
  'istartswith',
  'iendswith',
  'iin',
] as const;
export type BinaryOperator = (typeof BINARY_OPERATORS)[number];
export type UnaryOperator = 'exists';
export type Operator = BinaryOperator | UnaryOperator;

/** Operators whose right-hand side is a list: `(a, b)` or a list name. */
export const LIST_OPERATORS: ReadonlySet<string> = new Set(['in', 'intersects', 'pmatch', 'iin']);
/** Operators whose right-hand side must be a number. */
export const NUMBER_OPERATORS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename'] as const;
export type Transformer = (typeof TRANSFORMERS)[number];

export interface AndExpr extends Span {
  kind: 'and';
  children: Expr[];
}
export interface OrExpr extends Span {
  kind: 'or';
  children: Expr[];
}
export interface NotExpr extends Span {
  kind: 'not';
  child: Expr;
}
/** A bare identifier in boolean position: a macro reference. */
export interface MacroRefExpr extends Span {
  kind: 'macro';
  name: string;
}
/** `proc.aname[2]`: the argument keeps its own span for precise errors. */
export interface FieldExpr extends Span {
  kind: 'field';
  name: string;
  arg: (Span & { value: string }) | undefined;
}
/** `tolower(proc.name)`, nestable: `toupper(basename(fd.name))`. */
export interface TransformExpr extends Span {
  kind: 'transform';
  transformer: Transformer;
  child: FieldOperand;
}
/** `val(proc.pname)` on the right-hand side: compare against another field. */
export interface ValExpr extends Span {
  kind: 'val';
  field: FieldExpr;
}
export type FieldOperand = FieldExpr | TransformExpr;

/** A literal value: a bare word, a number or a quoted string (unescaped). */
export interface ValueExpr extends Span {
  kind: 'value';
  value: string;
  quoted: boolean;
}
/** `(a, b, "c")`; items may name lists, expanded at compilation. */
export interface ListExpr extends Span {
  kind: 'list';
  items: ValueExpr[];
}

export interface CheckExpr extends Span {
  kind: 'check';
  left: FieldOperand;
  op: Operator;
  opSpan: Span;
  /**
   * undefined for `exists`. A ValueExpr after a list operator (`in shells`)
   * names a list.
   */
  right: ValueExpr | ListExpr | FieldOperand | ValExpr | undefined;
}

export type Expr = AndExpr | OrExpr | NotExpr | MacroRefExpr | CheckExpr;
