/**
 * parseCondition(text, origin) -> Expr: Falco's condition grammar.
 *
 *   or        := and ('or' and)*
 *   and       := not ('and' not)*
 *   not       := 'not'* check                      (precedence: not > and > or)
 *   check     := '(' or ')' | operand 'exists' | operand op rhs | identifier (macro)
 *   operand   := field | transformer '(' operand ')'
 *   field     := name ('[' arg ']')?               name has a dot: proc.aname[2]
 *   rhs       := number (after < <= > >=) | value (after = != contains ...)
 *              | '(' value (',' value)* ')' | identifier (after in/intersects/pmatch)
 *              | val(field) | transformer(...)
 *
 * Falco parses scannerless with regexes for each token kind; this parser
 * follows the same token shapes (bare strings stop at blanks, parentheses,
 * quotes, '=' and ','), and reports errors with offsets into `text`.
 * Syntax errors throw ConditionError.
 */
import {
  BINARY_OPERATORS,
  LIST_OPERATORS,
  NUMBER_OPERATORS,
  TRANSFORMERS,
  type BinaryOperator,
  type CheckExpr,
  type Expr,
  type FieldExpr,
  type FieldOperand,
  type ListExpr,
  type TransformExpr,
  type Transformer,
  type ValExpr,
  type ValueExpr,
} from './ast.js';
import type { Origin } from './condition-error.js';
import { Scanner, type Token } from './lexer.js';

/** Nesting limit (parentheses and `not`), as Falco's parser has one: deep input must not blow the stack. */
export const MAX_DEPTH = 100;

const BINARY_OPERATOR_SET: ReadonlySet<string> = new Set(BINARY_OPERATORS);
const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not']);

export function parseCondition(text: string, origin: Origin): Expr {
  const s = new Scanner(text, origin);
  s.blank();
  if (s.atEnd()) throw s.error('empty condition', 0, text.length);
  const p = new Parser(s);
  const expr = p.or();
  s.blank();
  if (!s.atEnd()) throw p.unexpected();
  return expr;
}

class Parser {
  private depth = 0;
  constructor(private readonly s: Scanner) {}

  or(): Expr {
    const s = this.s;
    const children = [this.and()];
    for (;;) {
      s.blank();
      if (!s.eatKeyword('or')) break;
      children.push(this.and());
    }
    if (children.length === 1) return children[0];
    return {
      kind: 'or',
      children,
      origin: s.origin,
      start: children[0].start,
      end: children[children.length - 1].end,
    };
  }

  and(): Expr {
    const s = this.s;
    const children = [this.not()];
    for (;;) {
      s.blank();
      if (!s.eatKeyword('and')) break;
      children.push(this.not());
    }
    if (children.length === 1) return children[0];
    return {
      kind: 'and',
      children,
      origin: s.origin,
      start: children[0].start,
      end: children[children.length - 1].end,
    };
  }

  not(): Expr {
    const s = this.s;
    s.blank();
    const not = s.eatKeyword('not');
    if (not === null) return this.check();
    this.enter(not);
    const child = this.not();
    this.depth--;
    return { kind: 'not', child, origin: s.origin, start: not.start, end: child.end };
  }

  private enter(at: Token): void {
    if (++this.depth > MAX_DEPTH) {
      throw this.s.error(`condition nested deeper than ${MAX_DEPTH} levels`, at.start, at.end);
    }
  }

  private check(): Expr {
    const s = this.s;
    s.blank();
    const open = s.eat('(');
    if (open !== null) {
      this.enter(open);
      const inner = this.or();
      s.blank();
      if (s.eat(')') === null) {
        if (s.atEnd()) throw s.error('unbalanced parenthesis', open.start, open.end);
        throw this.unexpected();
      }
      this.depth--;
      return inner;
    }
    if (s.atEnd()) throw s.error('unexpected end of condition', s.pos, s.pos);
    const start = s.pos;
    const transformer = this.transformerOpening();
    if (transformer !== null) return this.condition(this.transform(transformer, start), start);
    if (s.text.startsWith('val(', s.pos)) {
      throw s.error("'val()' is only allowed on the right-hand side of a comparison", s.pos, s.pos + 3);
    }
    const name = s.fieldName();
    if (name !== null) return this.condition(this.fieldRemainder(name), start);
    const ident = s.identifier();
    if (ident !== null && !KEYWORDS.has(ident.text)) {
      this.refuseOperatorAfterIdentifier(ident);
      return { kind: 'macro', name: ident.text, origin: s.origin, start: ident.start, end: ident.end };
    }
    if (ident !== null) s.pos = ident.start;
    const t = s.peekToken();
    throw s.error(`unexpected token '${t.text}'`, t.start, t.end);
  }

  /** `foo = bar`: `foo` is no field (fields have a dot); say so instead of a vague token error. */
  private refuseOperatorAfterIdentifier(ident: Token): void {
    const s = this.s;
    const save = s.pos;
    s.blank();
    const op = s.symbolOperator() ?? s.word();
    s.pos = save;
    if (op !== null && (BINARY_OPERATOR_SET.has(op.text) || op.text === 'exists')) {
      throw s.error(
        `'${ident.text}' is not a field name (field names have a dot, e.g. proc.name)`,
        ident.start,
        ident.end,
      );
    }
  }

  /** `tolower(` etc. at the cursor: consumes it and returns the transformer name. */
  private transformerOpening(): Transformer | null {
    const s = this.s;
    for (const t of TRANSFORMERS) {
      if (s.text.startsWith(`${t}(`, s.pos)) {
        s.pos += t.length + 1;
        return t;
      }
    }
    return null;
  }

  private transform(transformer: Transformer, start: number): TransformExpr {
    const s = this.s;
    s.blank();
    const innerStart = s.pos;
    let child: FieldOperand;
    const nested = this.transformerOpening();
    if (nested !== null) {
      child = this.transform(nested, innerStart);
    } else {
      const name = s.fieldName();
      if (name === null) {
        const t = s.peekToken();
        throw s.error(`expected a field inside '${transformer}()'`, t.start, t.end);
      }
      child = this.fieldRemainder(name);
    }
    s.blank();
    if (s.eat(')') === null) {
      if (s.atEnd()) throw s.error('unbalanced parenthesis', start, start + transformer.length + 1);
      const t = s.peekToken();
      throw s.error(`expected ')' closing '${transformer}(', found '${t.text}'`, t.start, t.end);
    }
    return { kind: 'transform', transformer, child, origin: s.origin, start, end: s.pos };
  }

  private fieldRemainder(name: Token): FieldExpr {
    const s = this.s;
    const field: FieldExpr = {
      kind: 'field',
      name: name.text,
      arg: undefined,
      origin: s.origin,
      start: name.start,
      end: name.end,
    };
    const open = s.eat('[');
    if (open === null) return field;
    // `fd.types[]` spells "no argument" explicitly.
    if (s.eat(']') === null) {
      const arg = s.quotedString() ?? s.fieldArgBare();
      if (arg === null)
        throw s.error(`expected a field argument after '${name.text}['`, open.start, open.end);
      field.arg = { value: arg.text, origin: s.origin, start: arg.start, end: arg.end };
      if (s.eat(']') === null)
        throw s.error(`expected ']' after the argument of '${name.text}'`, open.start, s.pos);
    }
    field.end = s.pos;
    return field;
  }

  private condition(left: FieldOperand, start: number): CheckExpr {
    const s = this.s;
    s.blank();
    const opTok = s.symbolOperator() ?? s.word();
    const leftText = s.text.slice(left.start, left.end);
    if (opTok === null) {
      const t = s.peekToken();
      if (t.text === '') throw s.error(`expected an operator after '${leftText}'`, left.start, left.end);
      throw s.error(`expected an operator after '${leftText}', found '${t.text}'`, t.start, t.end);
    }
    const opSpan = { origin: s.origin, start: opTok.start, end: opTok.end };
    const base = { kind: 'check' as const, left, opSpan, origin: s.origin, start };
    if (opTok.text === 'exists') return { ...base, op: 'exists', right: undefined, end: opTok.end };
    if (KEYWORDS.has(opTok.text)) {
      throw s.error(
        `expected an operator after '${leftText}', found '${opTok.text}'`,
        opTok.start,
        opTok.end,
      );
    }
    if (!BINARY_OPERATOR_SET.has(opTok.text)) {
      throw s.error(`unknown operator '${opTok.text}'`, opTok.start, opTok.end);
    }
    const op = opTok.text as BinaryOperator;
    s.blank();
    const right = LIST_OPERATORS.has(op)
      ? this.listSide(op, opTok)
      : NUMBER_OPERATORS.has(op)
        ? this.numberSide(op, opTok)
        : this.valueSide(op, opTok);
    return { ...base, op, right, end: right.end };
  }

  /** val(field) or a transformer, allowed on every right-hand side. */
  private fieldSide(): ValExpr | TransformExpr | null {
    const s = this.s;
    const start = s.pos;
    const val = s.eat('val(');
    if (val !== null) {
      s.blank();
      const name = s.fieldName();
      if (name === null) {
        const t = s.peekToken();
        throw s.error("expected a field inside 'val()'", t.start, t.end);
      }
      const field = this.fieldRemainder(name);
      s.blank();
      if (s.eat(')') === null) {
        if (s.atEnd()) throw s.error('unbalanced parenthesis', val.start, val.end);
        const t = s.peekToken();
        throw s.error(`expected ')' closing 'val(', found '${t.text}'`, t.start, t.end);
      }
      return { kind: 'val', field, origin: s.origin, start, end: s.pos };
    }
    const t = this.transformerOpening();
    return t === null ? null : this.transform(t, start);
  }

  private numberSide(op: string, opTok: Token): ValueExpr | ValExpr | TransformExpr {
    const s = this.s;
    const field = this.fieldSide();
    if (field !== null) return field;
    const num = s.number();
    if (num === null) {
      const t = s.peekToken();
      if (t.text === '') throw s.error(`expected a number after '${op}'`, opTok.start, opTok.end);
      throw s.error(`expected a number after '${op}', found '${t.text}'`, t.start, t.end);
    }
    return this.value(num, false);
  }

  private valueSide(op: string, opTok: Token): ValueExpr | ValExpr | TransformExpr {
    const s = this.s;
    const field = this.fieldSide();
    if (field !== null) return field;
    const quoted = s.quotedString();
    if (quoted !== null) return this.value(quoted, true);
    const bare = s.bareString();
    if (bare !== null) return this.value(bare, false);
    if (s.peekChar() === '(') {
      throw s.error(`operator '${op}' takes a single value, not a list`, s.pos, s.pos + 1);
    }
    const t = s.peekToken();
    if (t.text === '') throw s.error(`expected a value after '${op}'`, opTok.start, opTok.end);
    throw s.error(`expected a value after '${op}', found '${t.text}'`, t.start, t.end);
  }

  private listSide(op: string, opTok: Token): ListExpr | ValueExpr | ValExpr | TransformExpr {
    const s = this.s;
    const open = s.eat('(');
    if (open === null) {
      const field = this.fieldSide();
      if (field !== null) return field;
      const ident = s.identifier();
      if (ident !== null) return this.value(ident, false);
      const t = s.peekToken();
      if (t.text === '') throw s.error(`expected a list after '${op}'`, opTok.start, opTok.end);
      throw s.error(`expected a list after '${op}', found '${t.text}'`, t.start, t.end);
    }
    const items: ValueExpr[] = [];
    s.blank();
    if (s.eat(')') === null) {
      for (;;) {
        s.blank();
        const quoted = s.quotedString();
        const item = quoted ?? s.bareString();
        if (item === null) {
          if (s.atEnd()) throw s.error('unbalanced parenthesis', open.start, open.end);
          const t = s.peekToken();
          throw s.error(`expected a list item, found '${t.text}'`, t.start, t.end);
        }
        items.push(this.value(item, quoted !== null));
        s.blank();
        if (s.eat(',') !== null) continue;
        if (s.eat(')') !== null) break;
        if (s.atEnd()) throw s.error('unbalanced parenthesis', open.start, open.end);
        const t = s.peekToken();
        throw s.error(`expected ',' or ')' in list, found '${t.text}'`, t.start, t.end);
      }
    }
    return { kind: 'list', items, origin: s.origin, start: open.start, end: s.pos };
  }

  private value(t: Token, quoted: boolean): ValueExpr {
    return { kind: 'value', value: t.text, quoted, origin: this.s.origin, start: t.start, end: t.end };
  }

  /** Error for whatever token stands at the cursor. */
  unexpected(): Error {
    const s = this.s;
    const t = s.peekToken();
    if (t.text === ')') return s.error('unbalanced parenthesis', t.start, t.end);
    return s.error(`unexpected token '${t.text}'`, t.start, t.end);
  }
}
