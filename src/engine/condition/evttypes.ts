/**
 * The event types a condition can match, derived the way Falco's evttype
 * index does it: `evt.type = X` / `evt.type in (...)` give a set, `!=` and
 * `not` complement it, `and` intersects, `or` unites, any other check allows
 * every type (and stays "every type" under `not`). Macros are inlined.
 * null = every type (the condition constrains none).
 */
import { EVENT_TYPES, isEventType, type EventType } from '../../event/types.js';
import type { Expr } from './ast.js';

const ALL: ReadonlySet<EventType> = new Set(EVENT_TYPES);

export function eventTypesOf(
  expr: Expr,
  macros: ReadonlyMap<string, Expr>,
  lists: ReadonlyMap<string, string[]>,
): ReadonlySet<EventType> | null {
  const set = walk(expr, false, macros, lists, new Set());
  return set === ALL || set.size === ALL.size ? null : set;
}

function intersect(a: ReadonlySet<EventType>, b: ReadonlySet<EventType>): ReadonlySet<EventType> {
  if (a === ALL) return b;
  if (b === ALL) return a;
  return new Set([...a].filter((t) => b.has(t)));
}

function unite(a: ReadonlySet<EventType>, b: ReadonlySet<EventType>): ReadonlySet<EventType> {
  if (a === ALL || b === ALL) return ALL;
  const u = new Set([...a, ...b]);
  return u.size === ALL.size ? ALL : u;
}

function complement(a: ReadonlySet<EventType>): ReadonlySet<EventType> {
  if (a === ALL) return new Set();
  return new Set(EVENT_TYPES.filter((t) => !a.has(t)));
}

function walk(
  e: Expr,
  negated: boolean,
  macros: ReadonlyMap<string, Expr>,
  lists: ReadonlyMap<string, string[]>,
  seen: Set<string>,
): ReadonlySet<EventType> {
  switch (e.kind) {
    case 'and':
    case 'or': {
      // De Morgan: under negation, and unites and or intersects.
      const combine = (e.kind === 'and') !== negated ? intersect : unite;
      return e.children.map((c) => walk(c, negated, macros, lists, seen)).reduce(combine);
    }
    case 'not':
      return walk(e.child, !negated, macros, lists, seen);
    case 'macro': {
      const body = macros.get(e.name);
      if (body === undefined || seen.has(e.name)) return ALL;
      seen.add(e.name);
      const r = walk(body, negated, macros, lists, seen);
      seen.delete(e.name);
      return r;
    }
    case 'check': {
      if (e.left.kind !== 'field' || e.left.name !== 'evt.type' || e.left.arg !== undefined) return ALL;
      const values = typeValues(e, lists);
      if (values === null) return ALL;
      const named = new Set<EventType>(values.filter(isEventType));
      const positive = e.op === '!=' ? complement(named) : named;
      return negated ? complement(positive) : positive;
    }
  }
}

/** The evt.type names a check compares with, or null when it is not an equality/membership test. */
function typeValues(e: Expr & { kind: 'check' }, lists: ReadonlyMap<string, string[]>): string[] | null {
  const r = e.right;
  if (e.op === '=' || e.op === '==' || e.op === '!=') return r?.kind === 'value' ? [r.value] : null;
  if (e.op !== 'in' && e.op !== 'intersects') return null;
  if (r?.kind === 'list') return r.items.flatMap((i) => lists.get(i.value) ?? [i.value]);
  if (r?.kind === 'value') return lists.get(r.value) ?? null;
  return null;
}
