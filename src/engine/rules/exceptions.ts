/**
 * Rule exceptions become condition text exactly as Falco builds it
 * (rule_loader_compiler: build_rule_exception_infos): the rule's condition
 * in parentheses, then `and not (...)` per exception, one `(f1 c1 v1 and f2
 * c2 v2)` per values row joined with `or`; the single-field form gives
 * `(field comp (v1, v2))`. comps default to `=` per field, or `in` for the
 * single-field form. Field names and values keep their YAML positions, so an
 * unknown field in an exception is reported where it is written.
 */
import { BINARY_OPERATORS } from '../condition/ast.js';
import { RuleError, type ItemRef } from './diagnostics.js';
import type { ExceptionDef, ExceptionEntry } from './items.js';
import type { LocatedText } from './text.js';
import type { YScalar } from '../../yaml/yaml-tree.js';

const OPERATORS: ReadonlySet<string> = new Set(BINARY_OPERATORS);
const LIST_COMPS: ReadonlySet<string> = new Set(['in', 'intersects', 'pmatch']);

type Scalar = Extract<ExceptionEntry, { isList: false }>;

/** Appends ` and not (...)` for each exception that has values. */
export function appendExceptions(out: LocatedText, exceptions: readonly ExceptionDef[], item: ItemRef): void {
  for (const ex of exceptions) {
    const fields = ex.fields;
    if (!fields) throw new RuleError(ex.loc, item, "Item has no mapping for key 'fields'");
    if (fields.isList) {
      const names = fields.items.map((f) => scalarEntry(f, item, 'Exception fields must be strings'));
      const comps = listComps(ex, names.length, item);
      if (ex.values.length === 0) continue;
      out.generated(' and not (', ex.loc);
      ex.values.forEach((row, r) => {
        if (!row.isList || row.items.length !== names.length) {
          throw new RuleError(row.node.loc, item, 'Fields and values lists must have equal length');
        }
        if (r > 0) out.generated(' or ', row.node.loc);
        out.generated('(', row.node.loc);
        names.forEach((name, k) => {
          if (k > 0) out.generated(' and ', row.node.loc);
          out.generated(' ', name.node.loc);
          emit(out, name);
          out.generated(' ', comps[k].node.loc);
          emit(out, comps[k]);
          out.generated(' ', row.items[k].node.loc);
          value(out, row.items[k], LIST_COMPS.has(comps[k].value), item);
        });
        out.generated(')', row.node.loc);
      });
      out.generated(')', ex.loc);
    } else {
      const comp = ex.comps ?? { isList: false as const, value: 'in', node: fields.node };
      if (comp.isList) throw new RuleError(comp.node.loc, item, 'Fields and comps must both be strings');
      if (!LIST_COMPS.has(comp.value)) {
        throw new RuleError(
          comp.node.loc,
          item,
          'When fields is a single value, comps must be one of (in, pmatch, intersects)',
        );
      }
      if (ex.values.length === 0) continue;
      out.generated(' and not (', ex.loc);
      emit(out, fields);
      out.generated(' ', fields.node.loc);
      emit(out, comp);
      out.generated(' (', fields.node.loc);
      ex.values.forEach((v, i) => {
        if (v.isList)
          throw new RuleError(v.node.loc, item, 'Expected values array to contain a list of strings');
        if (i > 0) out.generated(', ', v.node.loc);
        quoted(out, v);
      });
      out.generated('))', ex.loc);
    }
  }
}

function scalarEntry(e: ExceptionEntry, item: ItemRef, message: string): Scalar {
  if (e.isList) throw new RuleError(e.node.loc, item, message);
  return e;
}

function listComps(ex: ExceptionDef, n: number, item: ItemRef): Scalar[] {
  let comps: Scalar[];
  if (!ex.comps) {
    comps = Array.from({ length: n }, () => ({ isList: false as const, value: '=', node: ex.fields!.node }));
    return comps;
  }
  if (!ex.comps.isList) throw new RuleError(ex.comps.node.loc, item, 'Fields and comps must both be lists');
  comps = ex.comps.items.map((c) => scalarEntry(c, item, 'Exception comps must be strings'));
  if (comps.length !== n) {
    throw new RuleError(ex.comps.node.loc, item, 'Fields and comps lists must have equal length');
  }
  for (const c of comps) {
    if (!OPERATORS.has(c.value)) {
      throw new RuleError(c.node.loc, item, `'${c.value}' is not a supported comparison operator`);
    }
  }
  return comps;
}

/** One value: a list becomes `(a, b)`; a bare word after a list operator is a list name: `(name)`. */
function value(out: LocatedText, v: ExceptionEntry, listComp: boolean, item: ItemRef): void {
  if (v.isList) {
    out.generated('(', v.node.loc);
    v.items.forEach((x, i) => {
      if (x.isList) throw new RuleError(x.node.loc, item, 'Exception values nest at most one list deep');
      if (i > 0) out.generated(', ', x.node.loc);
      quoted(out, x);
    });
    out.generated(')', v.node.loc);
  } else if (listComp && !v.value.startsWith('(')) {
    out.generated('(', v.node.loc);
    emit(out, v);
    out.generated(')', v.node.loc);
  } else {
    quoted(out, v);
  }
}

/** Falco's quote_item: a value with a space, not already quoted, gets double quotes. */
function quoted(out: LocatedText, v: Scalar): void {
  const needs = v.value.includes(' ') && !v.value.startsWith('"') && !v.value.startsWith("'");
  if (needs) out.generated('"', v.node.loc);
  emit(out, v);
  if (needs) out.generated('"', v.node.loc);
}

/** A YAML scalar keeps its character positions; a default (comps: `=`, `in`) points at its owner. */
function emit(out: LocatedText, e: Scalar): void {
  if (e.node.kind === 'scalar' && e.node.text === e.value) out.scalar(e.node as YScalar);
  else out.generated(e.value, e.node.loc);
}
