/**
 * The depth of a condition once its macros are inlined. The parser bounds one
 * condition's own nesting; a chain of macros each naming the next would still
 * nest without bound, and every later pass over a condition (compiling, event
 * types, guards, the kernel plans) walks the inlined tree recursively. Loading
 * refuses such a chain here, at the reference that makes it too deep, before
 * any of those passes runs; this pass itself recurses only within one
 * condition and follows macros with an explicit stack.
 */
import type { Expr, MacroRefExpr } from '../condition/ast.js';
import { ConditionError } from '../condition/condition-error.js';

/** Deepest a condition may nest with its macros inlined (parentheses, `not`, macro references). */
export const MAX_INLINED_DEPTH = 256;

interface Depth {
  depth: number;
  /** The macro reference on the deepest path, if one is. */
  via?: MacroRefExpr;
}

/** Inlined depth of every macro; a macro in a cycle counts its cyclic reference as depth 0. */
export function macroDepths(macros: ReadonlyMap<string, Expr>): Map<string, number> {
  const done = new Map<string, number>();
  const onPath = new Set<string>();
  for (const root of macros.keys()) {
    const stack = [root];
    while (stack.length > 0) {
      const name = stack[stack.length - 1];
      const body = macros.get(name);
      if (done.has(name) || body === undefined) {
        stack.pop();
        continue;
      }
      onPath.add(name);
      const pending = [...referencedMacros(body)].filter(
        (r) => macros.has(r) && !done.has(r) && !onPath.has(r),
      );
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      done.set(name, depthOf(body, done).depth);
      onPath.delete(name);
      stack.pop();
    }
  }
  return done;
}

/** Throws ConditionError at the reference that takes `expr` past MAX_INLINED_DEPTH. */
export function checkInlinedDepth(expr: Expr, depths: ReadonlyMap<string, number>): void {
  const d = depthOf(expr, depths);
  if (d.depth <= MAX_INLINED_DEPTH) return;
  const at = d.via ?? expr;
  throw new ConditionError(
    `condition nested deeper than ${MAX_INLINED_DEPTH} levels with its macros inlined` +
      (d.via ? ` (through macro '${d.via.name}')` : ''),
    at.origin,
    at.start,
    at.end,
  );
}

function depthOf(e: Expr, macros: ReadonlyMap<string, number>): Depth {
  switch (e.kind) {
    case 'and':
    case 'or': {
      let best: Depth = { depth: 0 };
      for (const c of e.children) {
        const d = depthOf(c, macros);
        if (d.depth > best.depth) best = d;
      }
      return { depth: best.depth + 1, via: best.via };
    }
    case 'not': {
      const d = depthOf(e.child, macros);
      return { depth: d.depth + 1, via: d.via };
    }
    case 'macro':
      return { depth: (macros.get(e.name) ?? 0) + 1, via: e };
    default:
      return { depth: 1 };
  }
}

function referencedMacros(e: Expr, into = new Set<string>()): Set<string> {
  if (e.kind === 'and' || e.kind === 'or') for (const c of e.children) referencedMacros(c, into);
  else if (e.kind === 'not') referencedMacros(e.child, into);
  else if (e.kind === 'macro') into.add(e.name);
  return into;
}
