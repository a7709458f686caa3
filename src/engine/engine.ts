/**
 * The Engine: the running ruleset behind one reference. Evaluation reads the
 * reference once per event; a reload builds a whole new Ruleset first and
 * then swaps the reference, so an event is always evaluated against one
 * complete ruleset, never a mix.
 */
import type { EventType, VigilEvent } from '../event/types.js';
import type { Ruleset } from './ruleset.js';
import type { CompiledRule } from './rules/compile-rules.js';

export class Engine {
  private current: Ruleset;
  private generation = 0;

  constructor(ruleset: Ruleset) {
    this.current = ruleset;
  }

  get ruleset(): Ruleset {
    return this.current;
  }

  /** How many times the ruleset was swapped. */
  get reloads(): number {
    return this.generation;
  }

  swap(next: Ruleset): void {
    this.current = next;
    this.generation++;
  }

  /** Rules that match the event (first match only under Falco's default `rule_matching: first`). */
  evaluate(ev: VigilEvent): readonly CompiledRule[] {
    return this.current.evaluate(ev);
  }

  eventTypes(): ReadonlySet<EventType> {
    return this.current.eventTypes();
  }
}
