/**
 * What the sensor reads beyond the record for the loaded rules: the container's mounts
 * (container.mount*) and the data of I/O calls (evt.buffer), each only for the event types some
 * enabled rule reads it on. A rule reads a field when its condition (macros included) or its
 * output names it; the types are those its condition can match.
 */
import { EVENT_TYPES, typesWhere, type EventType } from '../event/table.js';
import type { Expr, FieldOperand } from '../engine/condition/ast.js';
import type { CompiledRule } from '../engine/rules/compile-rules.js';
import type { CapturePlan } from '../sensor/capture-plan.js';

/** The event types that can carry evt.buffer (their row says `buffer`). */
export const BUFFER_TYPES: readonly EventType[] = typesWhere((r) => r.buffer);

const readsMounts = (name: string): boolean => name.startsWith('container.mount');
const readsBuffer = (name: string): boolean => name === 'evt.buffer';

export function deriveCapture(rules: readonly CompiledRule[], snaplen: number): CapturePlan {
  const mounts = new Set<EventType>();
  const buffer = new Map<EventType, number>();
  for (const rule of rules) {
    const names = fieldsOf(rule);
    const types = rule.eventTypes ?? EVENT_TYPES;
    if ([...names].some(readsMounts)) for (const t of types) mounts.add(t);
    if (snaplen > 0 && [...names].some(readsBuffer)) {
      for (const t of types) if (BUFFER_TYPES.includes(t)) buffer.set(t, snaplen);
    }
  }
  return { mounts, buffer };
}

/** The field names a rule reads: its condition's, its macros' and its output's. */
export function fieldsOf(rule: CompiledRule): Set<string> {
  const names = new Set<string>();
  for (const p of rule.output.parts) if (typeof p !== 'string') names.add(p.def.name);
  if (rule.ast !== undefined) walk(rule.ast.expr, rule.ast.ctx.macros, names, new Set());
  return names;
}

function walk(e: Expr, macros: ReadonlyMap<string, Expr>, names: Set<string>, seen: Set<string>): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const c of e.children) walk(c, macros, names, seen);
      return;
    case 'not':
      return walk(e.child, macros, names, seen);
    case 'macro': {
      const body = macros.get(e.name);
      if (body === undefined || seen.has(e.name)) return;
      seen.add(e.name);
      return walk(body, macros, names, seen);
    }
    case 'check': {
      operand(e.left, names);
      const r = e.right;
      if (r?.kind === 'field' || r?.kind === 'transform') operand(r, names);
      else if (r?.kind === 'val') operand(r.field, names);
    }
  }
}

function operand(o: FieldOperand, names: Set<string>): void {
  if (o.kind === 'transform') return operand(o.child, names);
  names.add(o.name);
}
