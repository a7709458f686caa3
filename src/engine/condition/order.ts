/**
 * Static cost and selectivity of a condition node, to order the conjuncts of
 * an `and` so the test most likely to be false, and cheap, runs first.
 * Compiled conditions are pure functions of the event (no side effects, no
 * errors at run time), so the order of conjuncts changes how fast an `and`
 * answers, never what it answers.
 */
import { lookupField } from '../fields/registry.js';
import type { Expr, FieldOperand } from './ast.js';

export interface Rank {
  /** Usually false on an ordinary event: a positive test of a many-valued field. */
  selective: boolean;
  /** Rough relative cost of one evaluation. */
  cost: number;
}

/** String fields with a handful of values: a test on them rarely rules an event out. */
const FEW_VALUES: ReadonlySet<string> = new Set([
  'evt.type',
  'evt.res',
  'evt.dir',
  'evt.source',
  'fd.type',
  'fd.typechar',
  'fd.l4proto',
  'fd.sockfamily',
  'container.id',
]);

/** Positive string tests: true for few values of the field. */
const MATCHING: ReadonlySet<string> = new Set([
  '=',
  '==',
  'in',
  'startswith',
  'endswith',
  'contains',
  'icontains',
  'bcontains',
  'bstartswith',
  'pmatch',
  'glob',
  'iglob',
  'regex',
  'iequals',
  'istartswith',
  'iendswith',
  'iin',
]);

const OP_COST: Readonly<Record<string, number>> = {
  pmatch: 2,
  icontains: 2,
  iequals: 2,
  istartswith: 2,
  iendswith: 2,
  iin: 2,
  glob: 5,
  iglob: 5,
  regex: 5,
};

function operandCost(o: FieldOperand): { name: string; cost: number; anyOf: boolean } {
  if (o.kind === 'transform') {
    const inner = operandCost(o.child);
    return { ...inner, cost: inner.cost + 3 };
  }
  const def = lookupField(o.name);
  const anyOf = o.arg === undefined && def?.anyOf !== undefined;
  return { name: o.name, cost: anyOf ? 8 : 1, anyOf };
}

const UNSELECTIVE = (cost: number): Rank => ({ selective: false, cost });

export function rankOf(e: Expr, macros: ReadonlyMap<string, Expr>, depth = 0): Rank {
  if (depth > 64) return UNSELECTIVE(10);
  switch (e.kind) {
    case 'macro': {
      const body = macros.get(e.name);
      return body === undefined ? UNSELECTIVE(10) : rankOf(body, macros, depth + 1);
    }
    case 'not':
      return UNSELECTIVE(rankOf(e.child, macros, depth + 1).cost);
    case 'and': {
      const ranks = e.children.map((c) => rankOf(c, macros, depth + 1));
      const picky = ranks.filter((r) => r.selective);
      if (picky.length > 0) return { selective: true, cost: Math.min(...picky.map((r) => r.cost)) };
      return UNSELECTIVE(ranks.reduce((s, r) => s + r.cost, 0));
    }
    case 'or': {
      const ranks = e.children.map((c) => rankOf(c, macros, depth + 1));
      return { selective: ranks.every((r) => r.selective), cost: ranks.reduce((s, r) => s + r.cost, 0) };
    }
    case 'check': {
      const left = operandCost(e.left);
      const r = e.right;
      if (r !== undefined && r.kind !== 'value' && r.kind !== 'list') return UNSELECTIVE(left.cost + 3);
      const cost = left.cost + (OP_COST[e.op] ?? 1);
      const def = lookupField(left.name);
      const selective =
        MATCHING.has(e.op) && def !== undefined && def.type === 'string' && !FEW_VALUES.has(left.name);
      return { selective, cost };
    }
  }
}

/** Selective tests first, cheapest first; ties keep the written order. */
export function byRank(a: Rank, b: Rank): number {
  if (a.selective !== b.selective) return a.selective ? -1 : 1;
  return a.cost - b.cost;
}
