/**
 * A loaded, compiled ruleset: immutable, so a reload builds a new one and
 * swaps a single reference. Rules are bucketed by event type once; the hot
 * path is a Map lookup and the rules' closures.
 */
import { EVENT_TYPES, type EventType, type VigilEvent } from '../event/types.js';
import { resolveField } from './fields/index.js';
import type { Requirements } from './rules/collect.js';
import type { CompiledRule, SkippedRule } from './rules/compile.js';
import type { Diagnostic } from './rules/errors.js';

/** Falco's `rule_matching`: `first` (Falco's default) stops at the first rule in file order. */
export type RuleMatching = 'first' | 'all';

const NO_MATCH: readonly CompiledRule[] = Object.freeze([]);

/** Rules of one event type behind one guard (null: always tested). */
interface Group {
  guard: ((ev: VigilEvent) => boolean) | null;
  rules: CompiledRule[];
}

const byIndex = (a: CompiledRule, b: CompiledRule): number => a.index - b.index;

/** One event type's rules: by proc.name where a rule names the processes it is about, else in groups. */
interface Bucket {
  groups: Group[];
  byName: Map<string, CompiledRule[]>;
}

const procName = resolveField('proc.name', undefined).get;

function bucketOf(rules: readonly CompiledRule[]): Bucket {
  const byName = new Map<string, CompiledRule[]>();
  for (const r of rules) {
    if (r.procNames === undefined) continue;
    for (const n of r.procNames) {
      const list = byName.get(n);
      if (list) list.push(r);
      else byName.set(n, [r]);
    }
  }
  return { groups: groupsOf(rules.filter((r) => r.procNames === undefined)), byName };
}

/** Rules sharing a guard form one group; the others stand alone. Groups keep file order. */
function groupsOf(rules: readonly CompiledRule[]): Group[] {
  const count = new Map<string, number>();
  for (const r of rules) if (r.guard) count.set(r.guard.key, (count.get(r.guard.key) ?? 0) + 1);
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  for (const r of rules) {
    const key = r.guard && (count.get(r.guard.key) ?? 0) > 1 ? r.guard.key : undefined;
    if (key === undefined) {
      groups.push({ guard: null, rules: [r] });
      continue;
    }
    let g = byKey.get(key);
    if (!g) {
      g = { guard: r.guard!.test, rules: [] };
      byKey.set(key, g);
      groups.push(g);
    }
    g.rules.push(r);
  }
  return groups;
}

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
  private readonly buckets = new Map<string, Bucket>();
  private readonly types: ReadonlySet<EventType>;

  constructor(
    readonly info: RulesetInfo,
    readonly matching: RuleMatching = 'first',
  ) {
    const types = new Set<EventType>();
    const byType = new Map<string, CompiledRule[]>();
    for (const t of EVENT_TYPES) byType.set(t, []);
    for (const rule of info.rules) {
      if (!rule.enabled) continue;
      for (const t of rule.eventTypes ?? EVENT_TYPES) {
        const bucket = byType.get(t);
        if (!bucket) continue; // a Falco syscall vigil does not produce (execveat, sendmsg...)
        bucket.push(rule);
        types.add(t);
      }
    }
    for (const [t, rules] of byType) this.buckets.set(t, bucketOf(rules));
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

  /**
   * The rules this event matches, in file order (a shared empty array when none: no allocation).
   * Under `first`, only the first of them.
   */
  evaluate(ev: VigilEvent): readonly CompiledRule[] {
    const bucket = this.buckets.get(ev.type);
    if (bucket === undefined) return NO_MATCH;
    const groups = bucket.groups;
    let matches: CompiledRule[] | undefined;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (g.guard !== null && !g.guard(ev)) continue;
      const rules = g.rules;
      for (let k = 0; k < rules.length; k++) if (rules[k].test(ev)) (matches ??= []).push(rules[k]);
    }
    if (bucket.byName.size > 0) {
      const name = procName(ev);
      const named = typeof name === 'string' ? bucket.byName.get(name) : undefined;
      if (named !== undefined) {
        for (let k = 0; k < named.length; k++) if (named[k].test(ev)) (matches ??= []).push(named[k]);
      }
    }
    if (matches === undefined) return NO_MATCH;
    // Groups reorder rules; matches are rare, so restoring file order here costs nothing.
    if (matches.length > 1) {
      matches.sort(byIndex);
      if (this.matching === 'first') matches.length = 1;
    }
    return matches;
  }
}
