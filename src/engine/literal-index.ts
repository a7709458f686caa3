/**
 * The literal prefilter of one event type's rules: rules whose condition requires one of a few
 * literals in a string field (rules/literal-need.ts) are run only when one of them occurs in the
 * event's value. Per field, one automaton over the lower-cased value (literal-automaton.ts) finds
 * every literal of every rule at once, where testing each rule would read the value once per
 * literal. A value outside ASCII, or not a string, runs every rule needing that field.
 */
import type { VigilEvent } from '../event/types.js';
import { lowerGetter } from './condition/caseless.js';
import type { Getter } from './fields/field-types.js';
import { resolveField } from './fields/registry.js';
import { LiteralAutomaton } from './literal-automaton.js';
import type { LiteralNeed } from './rules/literal-need.js';

interface FieldScan {
  /** The field's value, lower-cased (the getter shared with the rules' case-insensitive tests). */
  get: Getter;
  automaton: LiteralAutomaton;
  /** Literal index -> slots of the rules it lets run. */
  slotsOf: Int32Array[];
  /** Every slot needing this field. */
  all: Int32Array;
}

export class LiteralIndex<E> {
  private readonly fields: FieldScan[] = [];
  private readonly seen: Uint32Array;
  private stamp = 0;
  /** Slots to test for the event being evaluated. */
  private readonly dueSlots: Int32Array;
  private count = 0;
  private readonly found: (literal: number) => void;
  private current: FieldScan | undefined;

  /** `entries[i]` runs only when `needs[i]` is met. */
  constructor(
    readonly entries: readonly E[],
    needs: readonly LiteralNeed[],
  ) {
    const byField = new Map<string, { name: string; arg?: string; literals: Map<string, number[]> }>();
    needs.forEach((need, slot) => {
      for (const [key, f] of need) {
        let field = byField.get(key);
        if (!field) byField.set(key, (field = { name: f.name, arg: f.arg, literals: new Map() }));
        for (const l of f.literals) {
          const slots = field.literals.get(l);
          if (slots) slots.push(slot);
          else field.literals.set(l, [slot]);
        }
      }
    });
    for (const f of byField.values()) {
      const literals = [...f.literals.keys()];
      const all = new Set([...f.literals.values()].flat());
      this.fields.push({
        get: lowerGetter(resolveField(f.name, f.arg).get),
        automaton: new LiteralAutomaton(literals),
        slotsOf: literals.map((l) => Int32Array.from(new Set(f.literals.get(l)))),
        all: Int32Array.from(all),
      });
    }
    this.seen = new Uint32Array(entries.length);
    this.dueSlots = new Int32Array(entries.length);
    this.found = (literal) => this.mark(this.current!.slotsOf[literal]);
  }

  get size(): number {
    return this.entries.length;
  }

  private mark(slots: Int32Array): void {
    const { seen, stamp, dueSlots } = this;
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k];
      if (seen[s] === stamp) continue;
      seen[s] = stamp;
      dueSlots[this.count++] = s;
    }
  }

  /** Finds the rules whose need the event meets; returns how many (`due(0)` to `due(n - 1)`). */
  collect(ev: VigilEvent): number {
    const stamp = (this.stamp = this.stamp === 0xffffffff ? 1 : this.stamp + 1);
    if (stamp === 1) this.seen.fill(0);
    this.count = 0;
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const v = f.get(ev);
      if (v === undefined) continue;
      this.current = f;
      if (typeof v !== 'string' || !f.automaton.scan(v, this.found)) this.mark(f.all);
    }
    return this.count;
  }

  /** The k-th rule found by the last `collect`. */
  due(k: number): E {
    return this.entries[this.dueSlots[k]];
  }
}
