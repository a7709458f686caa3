/**
 * Rule guards: many rules start with the same test (`open_write and ...`,
 * `file_modified and ...`). A guard is one top-level conjunct of a rule's
 * condition, compiled on its own by the condition module (same semantics):
 * if it is false the rule is false, so rules sharing a guard are skipped
 * together after one evaluation. Conjuncts that only test evt.type are never
 * guards: the event-type index already decided them.
 */
import type { Expr } from '../condition/ast.js';
import { compileCondition, unquoteItem, type CompileContext } from '../condition/compile.js';
import type { VigilEvent } from '../../event/types.js';
import { lookupField } from '../fields/index.js';

export interface Guard {
  /** Same key, same test: the macro name, or the conjunct's text. */
  key: string;
  test: (ev: VigilEvent) => boolean;
}

/** The top-level conjuncts of a condition (nested `and`s flattened, macros kept whole). */
function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.children.flatMap(conjuncts) : [e];
}

/** True when the expression tests nothing but evt.type. */
function typeOnly(e: Expr, macros: CompileContext['macros'], depth = 0): boolean {
  if (depth > 64) return false;
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.children.every((c) => typeOnly(c, macros, depth + 1));
    case 'not':
      return typeOnly(e.child, macros, depth + 1);
    case 'macro': {
      const body = macros.get(e.name);
      return body !== undefined && typeOnly(body, macros, depth + 1);
    }
    case 'check':
      return e.left.kind === 'field' && e.left.name === 'evt.type' && e.left.arg === undefined;
  }
}

function keyOf(e: Expr): string | undefined {
  if (e.kind === 'macro') return `macro:${e.name}`;
  const origin = e.origin as { text?: unknown };
  return typeof origin.text === 'string' ? `text:${origin.text.slice(e.start, e.end)}` : undefined;
}

/** A rule's guard: its first top-level conjunct that is not about evt.type; undefined if none. */
export function guardOf(expr: Expr, ctx: CompileContext, cache: Map<string, Guard>): Guard | undefined {
  const parts = conjuncts(expr);
  if (parts.length < 2) return undefined;
  const first = parts.find((p) => !typeOnly(p, ctx.macros));
  if (first === undefined || first === parts[parts.length - 1]) return undefined;
  const key = keyOf(first);
  if (key === undefined) return undefined;
  let guard = cache.get(key);
  if (guard === undefined) {
    guard = { key, test: compileCondition(first, ctx).test };
    cache.set(key, guard);
  }
  return guard;
}

/** Conjuncts with macros opened: a macro that is a conjunction adds its conjuncts. */
function deepConjuncts(e: Expr, macros: CompileContext['macros'], depth = 0): Expr[] {
  if (depth > 64) return [e];
  if (e.kind === 'and') return e.children.flatMap((c) => deepConjuncts(c, macros, depth + 1));
  if (e.kind === 'macro') {
    const body = macros.get(e.name);
    if (body !== undefined) return deepConjuncts(body, macros, depth + 1);
  }
  return [e];
}

/**
 * Fields worth indexing: many values, so a lookup rules out most rules. (fd.typechar or evt.res
 * have a handful of values: indexing by them would only shuffle rules around.)
 */
const INDEXED_FIELDS: ReadonlySet<string> = new Set([
  'proc.name',
  'proc.pname',
  'proc.exe',
  'proc.exepath',
  'fd.name',
  'fd.filename',
  'fd.directory',
  'container.image.repository',
  'container.image',
]);

/** A rule fires only when `field` has one of `values`: the ruleset indexes it by that value. */
export interface IndexKey {
  field: string;
  values: ReadonlySet<string>;
}

/**
 * The first top-level conjunct (macros opened) of the form `F = x` or `F in (...)` where F is a
 * selective plain string field (no argument, no transformer, not an any-ancestor field such as proc.aname):
 * the event-type bucket then indexes the rule by F's value, and an event with any other value
 * never reaches it. Values as the condition module reads them (list names expanded, list items
 * unquoted); equality on such a field is exact, so the index cannot drop a match.
 */
export function indexKeyOf(expr: Expr, ctx: CompileContext): IndexKey | undefined {
  for (const c of deepConjuncts(expr, ctx.macros)) {
    if (c.kind !== 'check' || c.left.kind !== 'field' || c.left.arg) continue;
    if (!INDEXED_FIELDS.has(c.left.name)) continue;
    const def = lookupField(c.left.name);
    if (!def || def.type !== 'string' || def.arg !== 'none' || def.anyOf || !def.available) continue;
    const field = c.left.name;
    const r = c.right;
    if ((c.op === '=' || c.op === '==') && r?.kind === 'value') return { field, values: new Set([r.value]) };
    if (c.op !== 'in') continue;
    if (r?.kind === 'value') {
      const listed = ctx.lists.get(r.value);
      if (listed !== undefined) return { field, values: new Set(listed.map(unquoteItem)) };
      continue;
    }
    if (r?.kind !== 'list') continue;
    const values = new Set<string>();
    for (const item of r.items) {
      const listed = ctx.lists.get(item.value);
      if (listed === undefined) values.add(item.value);
      else for (const v of listed) values.add(unquoteItem(v));
    }
    return { field, values };
  }
  return undefined;
}
