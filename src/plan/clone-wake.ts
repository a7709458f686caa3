/**
 * Which fork records must wake the ring reader (bpf/include/vg_record.h, vg_config.quiet and
 * clone_wake): every fork keeps the process table, but a fork record only needs to reach the rules
 * at once when a loaded rule on clone can match it. From the rules, the clone flags one of which a
 * fork must carry for some rule to match it (`evt.arg.flags contains CLONE_NEWUSER`); a rule on
 * clone with no such need makes every fork record wake the reader, and the plan says which rule.
 */
import type { EventType } from '../event/table.js';
import type { CheckExpr, Expr } from '../engine/condition/ast.js';
import type { CompileContext } from '../engine/condition/compile-condition.js';
import { eventTypesOf } from '../engine/condition/evttypes.js';
import { CLONE_FLAGS } from '../sensor/flags.js';
import type { FilterRule } from './open-filter.js';

const CLONE: EventType = 'clone';

/** A fork must carry one of these flags (0n: it cannot match), or null: any fork. */
type Need = bigint | null;

export interface CloneWakePlan {
  /** The flags that make a fork record wake the reader; null: every fork record wakes it. */
  wake: bigint | null;
  /** Why every fork wakes it (the first rule on clone with no flag need), or null. */
  why: string | null;
}

/** `evt.arg.flags contains NAME`: every clone flag whose name has NAME in it; else null. */
function flagsContains(e: CheckExpr): Need {
  if (e.op !== 'contains' || e.right?.kind !== 'value') return null;
  const name = e.right.value;
  if (!name.startsWith('CLONE_')) return null;
  const named = CLONE_FLAGS.filter(([n]) => n.includes(name));
  return named.length === 0 ? null : named.reduce((m, [, bit]) => m | BigInt(bit), 0n);
}

function check(e: CheckExpr, ctx: CompileContext): Need {
  if (e.left.kind !== 'field') return null;
  const { name, arg } = e.left;
  if (name === 'evt.type') {
    const types = eventTypesOf(e, ctx.macros, ctx.lists);
    return types === null || types.has(CLONE) ? null : 0n;
  }
  const flags = (name === 'evt.arg' && arg?.value === 'flags') || (name === 'evt.arg.flags' && !arg);
  return flags ? flagsContains(e) : null;
}

/** One need for `e` on a fork: `and` keeps either side's (both are necessary), `or` unites. */
function need(e: Expr, ctx: CompileContext, depth = 0): Need {
  if (depth > 64) return null;
  switch (e.kind) {
    case 'and': {
      let out: Need = null;
      for (const c of e.children) {
        const n = need(c, ctx, depth + 1);
        if (n === 0n) return 0n;
        if (n !== null && (out === null || n < out)) out = n;
      }
      return out;
    }
    case 'or': {
      let out: Need = 0n;
      for (const c of e.children) {
        const n = need(c, ctx, depth + 1);
        if (n === null) return null;
        out |= n;
      }
      return out;
    }
    case 'not': {
      const types = eventTypesOf(e, ctx.macros, ctx.lists);
      return types !== null && !types.has(CLONE) ? 0n : null;
    }
    case 'macro': {
      const body = ctx.macros.get(e.name);
      return body === undefined ? null : need(body, ctx, depth + 1);
    }
    case 'check':
      return check(e, ctx);
  }
}

/** The plan for these (enabled) rules. */
export function deriveCloneWake(rules: readonly FilterRule[]): CloneWakePlan {
  let wake = 0n;
  for (const r of rules) {
    if (r.eventTypes !== null && !r.eventTypes.has(CLONE)) continue;
    const n = r.ast === undefined ? null : need(r.ast.expr, r.ast.ctx);
    if (n === null) return { wake: null, why: `rule '${r.name}' can match a fork with any flags` };
    wake |= n;
  }
  return { wake, why: null };
}
