/**
 * A loaded, compiled ruleset: immutable, so a reload builds a new one and
 * swaps a single reference. Rules are bucketed by event type once; the hot
 * path is a Map lookup and the rules' closures.
 */
import { EVENT_TYPES, type EventType, type VigilEvent } from '../event/types.js';
import type { Requirements } from './rules/collect.js';
import type { CompiledRule, SkippedRule } from './rules/compile.js';
import type { Diagnostic } from './rules/errors.js';

/** Falco's `rule_matching`: `first` (Falco's default) stops at the first rule in file order. */
export type RuleMatching = 'first' | 'all';

const NO_MATCH: readonly CompiledRule[] = Object.freeze([]);

export interface RulesetInfo {
  files: string[];
  /** Every syscall rule, enabled or not, in Falco's rule order. */
  rules: readonly CompiledRule[];
  skipped: readonly SkippedRule[];
  warnings: readonly Diagnostic[];
  requirements: Requirements;
  lists: number;
  macros: number;
}

export class Ruleset {
  private readonly buckets = new Map<string, CompiledRule[]>();
  private readonly types: ReadonlySet<EventType>;

  constructor(
    readonly info: RulesetInfo,
    readonly matching: RuleMatching = 'first',
  ) {
    const types = new Set<EventType>();
    for (const t of EVENT_TYPES) this.buckets.set(t, []);
    for (const rule of info.rules) {
      if (!rule.enabled) continue;
      for (const t of rule.eventTypes ?? EVENT_TYPES) {
        const bucket = this.buckets.get(t);
        if (!bucket) continue; // a Falco syscall vigil does not produce (execveat, sendmsg...)
        bucket.push(rule);
        types.add(t);
      }
    }
    this.types = types;
  }

  /** Enabled rules. */
  get enabledRules(): CompiledRule[] {
    return this.info.rules.filter((r) => r.enabled);
  }

  /** The event types the enabled rules can match: what the sensors need to turn on. */
  eventTypes(): ReadonlySet<EventType> {
    return this.types;
  }

  /** The rules this event matches (a shared empty array when none: no allocation). */
  evaluate(ev: VigilEvent): readonly CompiledRule[] {
    const bucket = this.buckets.get(ev.type);
    if (bucket === undefined) return NO_MATCH;
    let matches: CompiledRule[] | undefined;
    for (let i = 0; i < bucket.length; i++) {
      const rule = bucket[i];
      if (rule.test(ev)) {
        if (this.matching === 'first') return [rule];
        (matches ??= []).push(rule);
      }
    }
    return matches ?? NO_MATCH;
  }
}
