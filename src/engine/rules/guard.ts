/**
 * Rule guards: many rules start with the same test (`open_write and ...`,
 * `file_modified and ...`). A guard is one top-level conjunct of a rule's
 * condition, compiled on its own by the condition module (same semantics):
 * if it is false the rule is false, so rules sharing a guard are skipped
 * together after one evaluation. Conjuncts that only test evt.type are never
 * guards: the event-type index already decided them.
 */
import type { CheckExpr, Expr } from '../condition/ast.js';
import {
  compileCondition,
  compilerByType,
  unquoteItem,
  type CompileContext,
  type TypedTest,
} from '../condition/compile-condition.js';
import type { EventType, VigilEvent } from '../../event/types.js';
import { lookupField } from '../fields/index.js';

export interface Guard {
  /** Same key, same test: the macro name, or the conjunct's text. */
  key: string;
  test: (ev: VigilEvent) => boolean;
  /** The test compiled for events of one type. */
  testFor: (type: EventType) => TypedTest;
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
    guard = { key, test: compileCondition(first, ctx).test, testFor: compilerByType(first, ctx) };
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

/**
 * A rule fires only when `field` has one of `values`: the ruleset indexes it by that value. With
 * `basename`, the values are the lower-cased last path component of the field's value (Sigma's
 * `Image|endswith: '/curl'` becomes `proc.exepath iendswith "/curl"`: the file name is `curl`).
 */
export interface ValueKey {
  kind: 'value';
  field: string;
  values: ReadonlySet<string>;
  basename?: true;
}

/**
 * A rule fires only when one of the fields (`fd.name`, `evt.arg[newpath]`...) has a value whose path
 * components begin with those of one of its prefixes (as pmatch compares): the ruleset keeps such
 * rules in a prefix tree per field and walks each event's value down it once.
 */
export interface PathKey {
  kind: 'path';
  /** Field (as resolveField takes it: name, argument) -> prefixes. */
  prefixes: readonly { name: string; arg: string | undefined; values: readonly string[] }[];
}

export type IndexKey = ValueKey | PathKey;

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
    if ((c.op === '=' || c.op === '==') && r?.kind === 'value') {
      return { kind: 'value', field, values: new Set([r.value]) };
    }
    if (c.op !== 'in') continue;
    if (r?.kind === 'value') {
      const listed = ctx.lists.get(r.value);
      if (listed !== undefined) return { kind: 'value', field, values: new Set(listed.map(unquoteItem)) };
      continue;
    }
    if (r?.kind !== 'list') continue;
    const values = new Set<string>();
    for (const item of r.items) {
      const listed = ctx.lists.get(item.value);
      if (listed === undefined) values.add(item.value);
      else for (const v of listed) values.add(unquoteItem(v));
    }
    return { kind: 'value', field, values };
  }
  return basenameKeyOf(expr, ctx) ?? pathKeyOf(expr, ctx);
}

/** Path fields a rule can be indexed by the lower-cased file name of. */
const BASENAME_FIELDS: ReadonlySet<string> = new Set(['proc.exepath', 'proc.pexepath', 'fd.name']);

/** The lower-cased file name a test on a path field implies, for each of its values; undefined when none. */
function basenamesOf(e: CheckExpr, ctx: CompileContext): { field: string; names: string[] } | undefined {
  const f = e.left;
  if (f.kind !== 'field' || f.arg !== undefined || !BASENAME_FIELDS.has(f.name)) return undefined;
  let values: string[] | undefined;
  let suffix = false;
  if (['=', '==', 'iequals', 'endswith', 'iendswith'].includes(e.op) && e.right?.kind === 'value') {
    values = [e.right.value];
    suffix = e.op.endsWith('endswith');
  } else if (e.op === 'in' || e.op === 'iin') values = itemsOf(e.right, ctx);
  if (values === undefined || values.length === 0) return undefined;
  const names: string[] = [];
  for (const v of values) {
    const slash = v.lastIndexOf('/');
    // A suffix names the whole file only from a '/': `endswith "/apt"`, not `endswith "apt"`.
    if (slash < 0 || slash === v.length - 1 || (suffix && slash !== 0)) return undefined;
    if (!suffix && !v.startsWith('/')) return undefined;
    names.push(v.slice(slash + 1).toLowerCase());
  }
  return { field: f.name, names };
}

/** The file names a condition implies for one path field (an `or` of such tests, or one conjunct of an `and`). */
function basenameNeed(e: Expr, ctx: CompileContext): { field: string; names: string[] } | undefined {
  return walkNeed(
    e,
    ctx,
    (c) => basenamesOf(c, ctx),
    (parts) => {
      const field = parts[0]?.field;
      if (field === undefined || !parts.every((p) => p.field === field)) return undefined;
      return { field, names: parts.flatMap((p) => p.names) };
    },
  );
}

function basenameKeyOf(expr: Expr, ctx: CompileContext): ValueKey | undefined {
  const n = basenameNeed(expr, ctx);
  return n === undefined
    ? undefined
    : { kind: 'value', field: n.field, values: new Set(n.names), basename: true };
}

/**
 * Fields path prefixes can index: paths, and process names (a name is a one-component path: an `or` of
 * `proc.name in (...)` and an fd.name test still indexes).
 */
const PATH_FIELDS: ReadonlySet<string> = new Set([
  'proc.name',
  'proc.pname',
  'fd.name',
  'fd.nameraw',
  'fd.directory',
  'proc.exepath',
  'proc.cwd',
  'fs.path.name',
  'fs.path.target',
  'evt.arg',
]);

type Need = Map<string, { name: string; arg: string | undefined; values: string[] }>;

/** Items of a list operand, list names expanded, as the condition module reads them. */
export function itemsOf(r: CheckExpr['right'], ctx: CompileContext): string[] | undefined {
  if (r?.kind === 'value') {
    const listed = ctx.lists.get(r.value);
    return listed === undefined ? undefined : listed.map(unquoteItem);
  }
  if (r?.kind !== 'list') return undefined;
  return r.items.flatMap((item) => ctx.lists.get(item.value)?.map(unquoteItem) ?? [item.value]);
}

/** The part of `s` made of whole path components: up to its last '/'; undefined when that says nothing. */
function wholeComponents(s: string): string | undefined {
  const prefix = s.slice(0, s.lastIndexOf('/') + 1);
  return prefix.split('/').some((c) => c !== '') ? prefix : undefined;
}

/**
 * What must hold for `e` to be true, as `leaf` reads a comparison, or undefined when nothing is
 * known: `and` takes one child's need (the first, or the best by `better`), `or` the union
 * (`union`) of all its children's, `not` none.
 */
export function walkNeed<T>(
  e: Expr,
  ctx: CompileContext,
  leaf: (c: CheckExpr) => T | undefined,
  union: (parts: T[]) => T | undefined,
  better?: (a: T, b: T) => boolean,
  depth = 0,
): T | undefined {
  if (depth > 64) return undefined;
  const rec = (x: Expr): T | undefined => walkNeed(x, ctx, leaf, union, better, depth + 1);
  switch (e.kind) {
    case 'not':
      return undefined;
    case 'macro': {
      const body = ctx.macros.get(e.name);
      return body === undefined ? undefined : rec(body);
    }
    case 'and': {
      let best: T | undefined;
      for (const c of e.children) {
        const n = rec(c);
        if (n === undefined) continue;
        if (better === undefined) return n;
        if (best === undefined || better(n, best)) best = n;
      }
      return best;
    }
    case 'or': {
      const parts: T[] = [];
      for (const c of e.children) {
        const n = rec(c);
        if (n === undefined) return undefined;
        parts.push(n);
      }
      return union(parts);
    }
    case 'check':
      return leaf(e);
  }
}

/**
 * What must hold for `e` to be true, as path prefixes per field (pmatch semantics). `F = v`,
 * `F in (...)`, `F pmatch (...)` and `F startswith s` (the whole components of s) each imply that
 * F's components begin with a prefix's.
 */
function need(e: Expr, ctx: CompileContext): Need | undefined {
  return walkNeed(e, ctx, (c) => pathNeed(c, ctx), unionNeeds);
}

function unionNeeds(parts: Need[]): Need | undefined {
  const out: Need = new Map();
  for (const n of parts) {
    for (const [k, v] of n) {
      const have = out.get(k);
      if (have) have.values.push(...v.values);
      else out.set(k, { ...v, values: [...v.values] });
    }
  }
  return out.size > 0 ? out : undefined;
}

function pathNeed(e: CheckExpr, ctx: CompileContext): Need | undefined {
  const f = e.left;
  if (f.kind !== 'field' || !PATH_FIELDS.has(f.name.startsWith('evt.arg.') ? 'evt.arg' : f.name)) {
    return undefined;
  }
  const def = lookupField(f.name.startsWith('evt.arg.') ? 'evt.arg' : f.name);
  if (!def || def.type !== 'string' || !def.available || (def.anyOf && f.arg === undefined)) return undefined;
  let values: string[] | undefined;
  if ((e.op === '=' || e.op === '==') && e.right?.kind === 'value') values = [e.right.value];
  else if (e.op === 'in' || e.op === 'pmatch') values = itemsOf(e.right, ctx);
  else if (e.op === 'startswith' && e.right?.kind === 'value') {
    const whole = wholeComponents(e.right.value);
    values = whole === undefined ? undefined : [whole];
  }
  // A prefix with no component (`/`) matches every path: no use as an index.
  if (values === undefined || values.length === 0) return undefined;
  if (!values.every((v) => v.split('/').some((c) => c !== ''))) return undefined;
  const key = `${f.name}[${f.arg?.value ?? ''}]`;
  return new Map([[key, { name: f.name, arg: f.arg?.value, values }]]);
}

/** A rule's path key: the top-level need of its condition, when it has one. */
export function pathKeyOf(expr: Expr, ctx: CompileContext): PathKey | undefined {
  const n = need(expr, ctx);
  return n === undefined ? undefined : { kind: 'path', prefixes: [...n.values()] };
}
