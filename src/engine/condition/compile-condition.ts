/**
 * compileCondition(expr, ctx) -> { test, eventTypes, fields }
 *
 * Turns a parsed condition into one JavaScript function, once: the tree
 * becomes a single expression (`&&`, `||`, `!`) generated as code (see
 * codegen.ts: rule values and field getters are passed in as constants, never
 * written into the code); macros are inlined (a cycle is an error at the
 * reference), list names expanded, constants folded (`in ()` is false, a
 * field vigil can never fill makes its comparison false), `in` becomes a Set
 * lookup, `pmatch` a prefix set, `glob`/`regex` one RE2 matcher. Nothing is
 * interpreted per event. Semantics follow Falco: a field with no value makes
 * every comparison on it false (`!=` included; `not` then makes it true).
 * Errors (unknown field, bad argument, operator not valid for the type,
 * value of the wrong type, bad regex, undefined macro or list, macro cycle)
 * throw ConditionError at the offending node.
 */
import type { EventType, VigilEvent } from '../../event/types.js';
import { FieldError, resolveField } from '../fields/registry.js';
import type { FieldDef, FieldType, FieldValue, Getter } from '../fields/field-types.js';
import {
  LIST_OPERATORS,
  type BinaryOperator,
  type CheckExpr,
  type Expr,
  type FieldExpr,
  type FieldOperand,
  type Span,
  type ValueExpr,
} from './ast.js';
import { Emitter } from './codegen.js';
import { ConditionError } from './condition-error.js';
import { eventTypesOf } from './evttypes.js';
import {
  dynamicCompare,
  listFieldPredicate,
  listPredicate,
  operatorRefusal,
  parseConstant,
  singlePredicate,
  type Constant,
  type Predicate,
} from './operators.js';
import { CASELESS, lowerAnyOf, lowerGetter } from './caseless.js';
import { byRank, rankOf, type Rank } from './order.js';
import { TRANSFORM } from './transformers.js';

export interface CompileContext {
  /** List name -> items (lists naming lists already expanded by the loader). */
  lists: ReadonlyMap<string, string[]>;
  /** Macro name -> parsed condition. */
  macros: ReadonlyMap<string, Expr>;
  /**
   * Compile for events of this type only: comparisons on fields the type decides (evt.type, evt.dir)
   * fold to constants, and with them whole alternatives for other types (see Ruleset).
   */
  eventType?: EventType;
}

export interface CompiledCondition {
  test(ev: VigilEvent): boolean;
  /** Set when the whole condition folded to a constant (for this event type, when compiled for one). */
  constant?: boolean;
  /** Event types the condition can match; null = any type. */
  eventTypes: ReadonlySet<EventType> | null;
  /** Fields the condition reads, as written (`proc.aname[2]`), macros included. */
  fields: string[];
}

type Test = (ev: VigilEvent) => boolean;
/** A compiled node: generated code (a boolean JavaScript expression), or a constant when it folded. */
type Node = string | boolean;

export function compileCondition(expr: Expr, ctx: CompileContext): CompiledCondition {
  const c = new Compiler(ctx);
  const node = c.expr(expr, []);
  const test: Test = typeof node === 'boolean' ? (node ? () => true : () => false) : c.emit.build(node);
  return {
    test,
    ...(typeof node === 'boolean' ? { constant: node } : {}),
    eventTypes: eventTypesOf(expr, ctx.macros, ctx.lists),
    fields: [...c.fields],
  };
}

/** A condition's test for events of one type. */
export interface TypedTest {
  test(ev: VigilEvent): boolean;
  /** Set when the condition folded to a constant for this type. */
  constant?: boolean;
}

/** Compiles `expr` once per event type asked for (memoised): see CompileContext.eventType. */
export function compilerByType(expr: Expr, ctx: CompileContext): (type: EventType) => TypedTest {
  const byType = new Map<EventType, TypedTest>();
  return (type) => {
    let t = byType.get(type);
    if (t === undefined) {
      const c = compileCondition(expr, { ...ctx, eventType: type });
      t = { test: c.test, ...(c.constant !== undefined ? { constant: c.constant } : {}) };
      byType.set(type, t);
    }
    return t;
  };
}

const flatAnd = (children: readonly Expr[]): Expr[] =>
  children.flatMap((c) => (c.kind === 'and' ? flatAnd(c.children) : [c]));

const fail = (message: string, at: Span): ConditionError =>
  new ConditionError(message, at.origin, at.start, at.end);

/** Falco quotes list items that need it (`'"(systemd)"'`): a list item is read like a condition literal. */
export function unquoteItem(item: string): string {
  if (item.length >= 2 && (item[0] === '"' || item[0] === "'") && item[item.length - 1] === item[0]) {
    return item.slice(1, -1).replace(/\\(["'\\])/g, '$1');
  }
  return item;
}

/** The left (or val()) side, resolved: getter with transformers applied, its type, any-of form. */
interface Operand {
  text: string;
  def: FieldDef;
  type: FieldType;
  get: Getter;
  anyOf?: (ev: VigilEvent) => readonly (string | number)[];
}

/** A generated test of one field value: `((v = kG(ev)) !== undefined && v.method(kC))`. */
const METHOD_TEST =
  /^\(\(v = (k\d+)\(ev\)\) !== undefined && (v\.(?:includes|startsWith|endsWith)\(k\d+\))\)$/;

/**
 * Neighbouring string-method tests of the same field in one `and`/`or` read the value once:
 * `a(v) || b(v)` under a single `(v = kG(ev)) !== undefined`. Sigma rules test one field against
 * many values (`Image|endswith: [...]`), which would otherwise call the getter for each.
 */
function sharingReads(fns: readonly string[], all: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < fns.length;) {
    const m = METHOD_TEST.exec(fns[i]);
    let j = i + 1;
    const tests = m ? [m[2]] : [];
    for (; m && j < fns.length; j++) {
      const n = METHOD_TEST.exec(fns[j]);
      if (!n || n[1] !== m[1]) break;
      tests.push(n[2]);
    }
    if (m && tests.length > 1) {
      out.push(`((v = ${m[1]}(ev)) !== undefined && (${tests.join(all ? ' && ' : ' || ')}))`);
    } else {
      out.push(fns[i]);
      j = i + 1;
    }
    i = j;
  }
  return out;
}

class Compiler {
  readonly fields = new Set<string>();
  readonly emit = new Emitter();
  private readonly macroCache = new Map<string, Node>();

  constructor(private readonly ctx: CompileContext) {}

  expr(e: Expr, stack: readonly string[]): Node {
    switch (e.kind) {
      case 'and':
        // `(a and b) and c` (a rule's condition before its exceptions) orders as one chain.
        return this.junction(flatAnd(e.children), stack, true);
      case 'or':
        return this.junction(e.children, stack, false);
      case 'not': {
        const child = this.expr(e.child, stack);
        if (typeof child === 'boolean') return !child;
        return `!${child}`;
      }
      case 'macro':
        return this.macro(e.name, e, stack);
      case 'check':
        return this.check(e);
    }
  }

  private macro(name: string, at: Span, stack: readonly string[]): Node {
    if (stack.includes(name)) {
      const cycle = [...stack.slice(stack.indexOf(name)), name].join(' -> ');
      throw fail(`macro cycle: ${cycle}`, at);
    }
    const cached = this.macroCache.get(name);
    if (cached !== undefined) return cached;
    const body = this.ctx.macros.get(name);
    if (body === undefined) throw fail(`undefined macro '${name}'`, at);
    const node = this.expr(body, [...stack, name]);
    this.macroCache.set(name, node);
    return node;
  }

  /** and (all) / or (any), with constants folded. */
  private junction(children: readonly Expr[], stack: readonly string[], all: boolean): Node {
    let fns: string[] = [];
    const ranks: Rank[] = [];
    for (const child of children) {
      const n = this.expr(child, stack);
      if (typeof n === 'boolean') {
        // and: false decides, true drops out; or: the reverse. Later children still compile (errors surface).
        if (n !== all) {
          for (const rest of children.slice(children.indexOf(child) + 1)) this.expr(rest, stack);
          return n;
        }
        continue;
      }
      fns.push(n);
      if (all) ranks.push(rankOf(child, this.ctx.macros));
    }
    if (all && fns.length > 1) {
      // Compiled after the written order (errors surface in it), run in the fastest order.
      fns = fns
        .map((fn, i) => ({ fn, rank: ranks[i] }))
        .sort((x, y) => byRank(x.rank, y.rank))
        .map((x) => x.fn);
    }
    if (fns.length === 0) return all;
    fns = sharingReads(fns, all);
    if (fns.length === 1) return fns[0];
    return `(${fns.join(all ? ' && ' : ' || ')})`;
  }

  private field(f: FieldExpr): Operand {
    let r;
    try {
      r = resolveField(f.name, f.arg?.value);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      const at = e.part === 'arg' && f.arg !== undefined ? f.arg : { ...f, end: f.start + f.name.length };
      throw fail(e.message, at);
    }
    this.fields.add(r.text);
    const anyOf = f.arg === undefined ? r.def.anyOf : undefined;
    return { text: r.text, def: r.def, type: r.def.type, get: r.get, ...(anyOf ? { anyOf } : {}) };
  }

  private operand(o: FieldOperand): Operand {
    if (o.kind === 'field') return this.field(o);
    const inner = this.operand(o.child);
    if (inner.type !== 'string') {
      throw fail(
        `transformer '${o.transformer}' needs a string field, and '${inner.text}' is of type '${inner.type}'`,
        o,
      );
    }
    const fn = TRANSFORM[o.transformer];
    const get = inner.get;
    const anyOf = inner.anyOf;
    return {
      text: `${o.transformer}(${inner.text})`,
      def: inner.def,
      type: 'string',
      get: (ev) => {
        const v = get(ev);
        return v === undefined ? undefined : fn(v as string);
      },
      ...(anyOf
        ? {
            anyOf: (ev: VigilEvent) =>
              anyOf(ev)
                .map((v) => fn(String(v)))
                .filter((v): v is string => v !== undefined),
          }
        : {}),
    };
  }

  private check(e: CheckExpr): Node {
    const operand = this.operand(e.left);
    const refusal = operatorRefusal(e.op, operand.type, operand.text);
    if (refusal !== null) throw fail(refusal, e.opSpan);
    const caseless = CASELESS[e.op];
    // A case-insensitive operator runs as its twin on lower-cased operands (see caseless.ts).
    if (caseless !== undefined) return this.compare({ ...e, op: caseless }, this.lowered(operand), true);
    return this.compare(e, operand, false);
  }

  private compare(e: CheckExpr, left: Operand, lower: boolean): Node {
    const right = e.right;
    const known = lower ? null : this.knownValue(e, left);
    if (e.op === 'exists' || right === undefined) {
      if (!left.def.available) return false;
      if (known !== null) return known !== undefined;
      if (left.anyOf !== undefined) return `(${this.emit.ref(left.anyOf)}(ev).length !== 0)`;
      return `(${this.emit.ref(left.get)}(ev) !== undefined)`;
    }
    const op = e.op;
    if (right.kind === 'val' || right.kind === 'field' || right.kind === 'transform') {
      // Event data never becomes a pattern: a regex is compiled once, from the rule.
      if (op === 'regex') throw fail("operator 'regex' needs a literal pattern, not a field", right);
      const otherOperand = this.operand(right.kind === 'val' ? right.field : right);
      const other = lower ? this.lowered(otherOperand) : otherOperand;
      if (other.type !== left.type) {
        throw fail(
          `field '${left.text}' has type '${left.type}' while the right-hand side field '${other.text}' ` +
            `has incompatible type '${other.type}'`,
          right,
        );
      }
      if (!left.def.available || !other.def.available) return false;
      const getB = other.get;
      const type = left.type;
      return this.withValue(left, (a, ev) => {
        const b = getB(ev);
        return b !== undefined && dynamicCompare(op, type, a, b);
      });
    }
    const pred = LIST_OPERATORS.has(op)
      ? this.listRhs(e, left, right, lower)
      : this.singleRhs(e, left, right as ValueExpr, lower);
    if (typeof pred === 'boolean') return pred;
    if (!left.def.available) return false;
    // No value makes every comparison false, as at run time.
    if (known !== null) return known !== undefined && pred(known);
    if (left.anyOf === undefined) {
      const get = this.emit.ref(left.get);
      // No value is undefined, which neither equals a constant nor is in a set: no test for it.
      if (pred.equals !== undefined) return `(${get}(ev) === ${this.emit.ref(pred.equals)})`;
      if (pred.members !== undefined) return `${this.emit.ref(pred.members)}.has(${get}(ev))`;
      // The method's name is one of three the compiler knows (StringMethod), never rule text.
      const m = pred.method;
      if (m !== undefined)
        return `((v = ${get}(ev)) !== undefined && v.${m.name}(${this.emit.ref(m.operand)}))`;
      return `((v = ${get}(ev)) !== undefined && ${this.emit.ref(pred)}(v))`;
    }
    return this.withValue(left, pred);
  }

  /**
   * The field's value when the event type being compiled for decides it (a plain field, no argument
   * or transformer); null when it is only known at run time.
   */
  private knownValue(e: CheckExpr, left: Operand): FieldValue | undefined | null {
    const type = this.ctx.eventType;
    if (type === undefined || e.left.kind !== 'field' || e.left.arg !== undefined) return null;
    const byType = left.def.byType;
    return byType === undefined ? null : byType(type);
  }

  /** The operand lower-cased: its value read through a per-event cache (caseless.ts). */
  private lowered(o: Operand): Operand {
    const anyOf = o.anyOf;
    return {
      ...o,
      get: lowerGetter(o.get),
      ...(anyOf ? { anyOf: lowerAnyOf(anyOf) } : {}),
    };
  }

  private singleRhs(e: CheckExpr, left: Operand, value: ValueExpr, lower: boolean): Predicate {
    const c = this.constant(value, left, lower);
    try {
      return singlePredicate(e.op as BinaryOperator, c, value.value, left.type);
    } catch (err) {
      throw fail((err as Error).message, value);
    }
  }

  /** `in`/`intersects`/`pmatch` with a literal list or a list name; `in ()` folds to false. */
  private listRhs(
    e: CheckExpr,
    left: Operand,
    right: Exclude<CheckExpr['right'], undefined>,
    lower: boolean,
  ): Predicate | false {
    let items: { value: string; at: ValueExpr }[];
    if (right.kind === 'list') {
      items = right.items.flatMap((item) => {
        const listed = this.ctx.lists.get(item.value);
        if (listed === undefined) return [{ value: item.value, at: item }];
        return listed.map((v) => ({ value: unquoteItem(v), at: item }));
      });
    } else if (right.kind === 'value') {
      const listed = this.ctx.lists.get(right.value);
      if (listed === undefined) throw fail(`undefined list '${right.value}'`, right);
      items = listed.map((v) => ({ value: unquoteItem(v), at: right }));
    } else {
      throw fail(`operator '${e.op}' needs a list`, right);
    }
    if (items.length === 0) return false;
    const constants = items.map((i) => this.constant({ ...i.at, value: i.value }, left, lower));
    const op = e.op as 'in' | 'intersects' | 'pmatch';
    if (left.type === 'list') return listFieldPredicate(op === 'pmatch' ? 'in' : op, constants);
    return listPredicate(op, constants);
  }

  private constant(value: ValueExpr, left: Operand, lower = false): Constant {
    left.def.watch?.(value.value);
    const c = parseConstant(value.value, left.type, left.text);
    if (typeof c === 'object' && 'error' in c) throw fail(c.error, value);
    return lower && typeof c === 'string' ? c.toLowerCase() : c;
  }

  /**
   * Applies `pred` to the field's value; no value -> false. Any-of fields: true if any value satisfies.
   * Rarer forms (any-of fields, val()) keep a closure; the generated code calls it.
   */
  private withValue(left: Operand, pred: (v: FieldValue, ev: VigilEvent) => boolean): string {
    const anyOf = left.anyOf;
    if (anyOf !== undefined) {
      const test: Test = (ev) => {
        const values = anyOf(ev);
        for (let i = 0; i < values.length; i++) if (pred(values[i], ev)) return true;
        return false;
      };
      return `${this.emit.ref(test)}(ev)`;
    }
    const get = left.get;
    const test: Test = (ev) => {
      const v = get(ev);
      return v !== undefined && pred(v, ev);
    };
    return `${this.emit.ref(test)}(ev)`;
  }
}
