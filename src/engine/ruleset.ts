/**
 * A loaded, compiled ruleset: immutable, so a reload builds a new one and
 * swaps a single reference. Rules are bucketed by event type once, each with
 * its condition (and guard) compiled for that type: `evt.type in (...)` and
 * the alternatives for other types fold away, and a rule that folds to false
 * leaves the bucket. The hot path is a Map lookup and the rules' closures.
 */
import { EVENT_TYPES, type EventType, type VigilEvent } from '../event/types.js';
import { pathComponents } from './condition/matchers.js';
import { resolveField } from './fields/index.js';
import { LiteralIndex } from './literal-index.js';
import { literalNeed, type LiteralNeed } from './rules/literal-need.js';
import type { Requirements } from './rules/collect.js';
import type { CompiledRule, SkippedRule } from './rules/compile-rules.js';
import type { Diagnostic } from './rules/diagnostics.js';

/** Falco's `rule_matching`: `first` (Falco's default) stops at the first rule in file order. */
export type RuleMatching = 'first' | 'all';

const NO_MATCH: readonly CompiledRule[] = Object.freeze([]);

type Test = (ev: VigilEvent) => boolean;

/** A rule in one event type's bucket, with its condition compiled for that type. */
interface Entry {
  rule: CompiledRule;
  test: Test;
}

/** Rules of one event type behind one guard (null: always tested). */
interface Group {
  guard: Test | null;
  rules: Entry[];
}

const byIndex = (a: CompiledRule, b: CompiledRule): number => a.index - b.index;

/** Rules indexed by the value of one field. */
interface FieldIndex {
  get: (ev: VigilEvent) => unknown;
  byValue: Map<string, Entry[]>;
}

interface PathNode {
  /** Rules whose prefix ends here, and their slots (for the bucket's seen-stamps). */
  rules: Entry[];
  slots: number[];
  /** Rules whose exact value ends here: tested when the value has no further component. */
  exact: Entry[];
  exactSlots: number[];
  next: Map<string, PathNode>;
}

/**
 * Fields whose value, when there is one, is always a component-wise prefix of another field's
 * value on the same event: fd.directory of fd.name (the path up to its last '/', or the directory
 * itself). Rules indexed by such a field join the other field's tree, so one walk serves both; the
 * net is only wider, never narrower, and each rule's own test decides.
 */
const PREFIX_OF: Readonly<Record<string, string>> = { 'fd.directory': 'fd.name' };
/** Path fields whose exact values (`fd.name in (...)`) go into the path tree too: one walk, not a walk and a lookup. */
const PATH_VALUED: ReadonlySet<string> = new Set(['fd.name', 'fd.directory']);

/** Rules indexed by path prefixes of one field: an event's value walks the tree once. */
interface PathIndex {
  get: (ev: VigilEvent) => unknown;
  root: PathNode;
}

/** One event type's rules: indexed by a field value where a rule allows, else in guard groups. */
interface Bucket {
  groups: Group[];
  indexes: FieldIndex[];
  paths: PathIndex[];
  /** Rules run only when one of their required literals occurs (null: no such rule). */
  literals: LiteralIndex<Entry> | null;
  /** Per path-indexed rule, the evaluation that last tested it: a rule under two prefixes runs once. */
  seen: Uint32Array;
  /** This evaluation's stamp. */
  stamp: number;
  /** Rules in the bucket. */
  size: number;
}

const pathNode = (): PathNode => ({ rules: [], slots: [], exact: [], exactSlots: [], next: new Map() });

function pathIndexes(entries: readonly Entry[]): {
  paths: PathIndex[];
  count: number;
  /** Value-indexed rules that went into a path tree instead. */
  joined: ReadonlySet<Entry>;
} {
  const byField = new Map<string, PathIndex>();
  const slots = new Map<Entry, number>();
  const add = (e: Entry, name: string, arg: string | undefined, values: Iterable<string>, exact: boolean) => {
    const field = arg === undefined ? (PREFIX_OF[name] ?? name) : name;
    const asExact = exact && field === name;
    const key = `${field}[${arg ?? ''}]`;
    let index = byField.get(key);
    if (!index) {
      index = { get: resolveField(field, arg).get, root: pathNode() };
      byField.set(key, index);
    }
    let slot = slots.get(e);
    if (slot === undefined) slots.set(e, (slot = slots.size));
    for (const v of values) {
      let node = index.root;
      for (const c of pathComponents(v)) {
        let child = node.next.get(c);
        if (child === undefined) node.next.set(c, (child = pathNode()));
        node = child;
      }
      (asExact ? node.exact : node.rules).push(e);
      (asExact ? node.exactSlots : node.slots).push(slot);
    }
  };
  for (const e of entries) {
    const k = e.rule.indexKey;
    if (k?.kind === 'path') for (const p of k.prefixes) add(e, p.name, p.arg, p.values, false);
  }
  // Exact values join the tree only when the bucket walks it anyway: a lookup of the whole value is
  // cheaper than splitting it (a socket's fd.name, new on every connect, would be split for nothing).
  const joined = new Set<Entry>();
  for (const e of entries) {
    const k = e.rule.indexKey;
    if (k?.kind !== 'value' || k.basename || !PATH_VALUED.has(k.field)) continue;
    if (!byField.has(`${PREFIX_OF[k.field] ?? k.field}[]`)) continue;
    add(e, k.field, undefined, k.values, true);
    joined.add(e);
  }
  return { paths: [...byField.values()], count: slots.size, joined };
}

/** The lower-cased last path component of a field's value, computed once per value. */
function lowerBasename(get: (ev: VigilEvent) => unknown): (ev: VigilEvent) => unknown {
  let lastIn: unknown;
  let lastOut: unknown;
  return (ev) => {
    const v = get(ev);
    if (typeof v !== 'string') return undefined;
    if (v !== lastIn) {
      lastIn = v;
      lastOut = v.slice(v.lastIndexOf('/') + 1).toLowerCase();
    }
    return lastOut;
  };
}

function bucketOf(type: EventType, rules: readonly CompiledRule[]): Bucket {
  const entries: Entry[] = [];
  for (const rule of rules) {
    const t = rule.testFor(type);
    if (t.constant !== false) entries.push({ rule, test: t.test });
  }
  const { paths, count, joined } = pathIndexes(entries);
  const indexes = new Map<string, FieldIndex>();
  for (const e of entries) {
    const r = e.rule;
    if (r.indexKey?.kind !== 'value' || joined.has(e)) continue;
    const key = `${r.indexKey.field}${r.indexKey.basename ? '|basename' : ''}`;
    let index = indexes.get(key);
    if (!index) {
      const get = resolveField(r.indexKey.field, undefined).get;
      index = { get: r.indexKey.basename ? lowerBasename(get) : get, byValue: new Map() };
      indexes.set(key, index);
    }
    for (const v of r.indexKey.values) {
      const list = index.byValue.get(v);
      if (list) list.push(e);
      else index.byValue.set(v, [e]);
    }
  }
  const unindexed = entries.filter((e) => e.rule.indexKey === undefined);
  const needs = unindexed.map((e) => needOf(e.rule));
  const byLiteral = unindexed.filter((_, i) => needs[i] !== null);
  return {
    groups: groupsOf(
      type,
      unindexed.filter((_, i) => needs[i] === null),
    ),
    literals:
      byLiteral.length === 0
        ? null
        : new LiteralIndex(
            byLiteral,
            needs.filter((n): n is LiteralNeed => n !== null),
          ),
    indexes: [...indexes.values()],
    paths,
    seen: new Uint32Array(count),
    stamp: 0,
    size: entries.length,
  };
}

const needs = new WeakMap<CompiledRule, LiteralNeed | null>();

/** A rule's required literals (rules/literal-need.ts), worked out once for all its buckets; null: none. */
function needOf(rule: CompiledRule): LiteralNeed | null {
  let n = needs.get(rule);
  if (n === undefined) {
    n = rule.ast === undefined ? null : (literalNeed(rule.ast.expr, rule.ast.ctx) ?? null);
    needs.set(rule, n);
  }
  return n;
}

/**
 * Rules sharing a guard form one group; the others stand alone. Groups keep file order. A guard
 * that folds to true for this type guards nothing (its rules stand alone); to false, its rules
 * cannot match this type (the guard is one of their conjuncts) and are left out.
 */
function groupsOf(type: EventType, entries: readonly Entry[]): Group[] {
  const count = new Map<string, number>();
  for (const { rule } of entries)
    if (rule.guard) count.set(rule.guard.key, (count.get(rule.guard.key) ?? 0) + 1);
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  for (const e of entries) {
    const guard = e.rule.guard;
    const key = guard && (count.get(guard.key) ?? 0) > 1 ? guard.key : undefined;
    const typed = key === undefined ? undefined : guard!.testFor(type);
    if (typed?.constant === false) continue;
    if (key === undefined || typed!.constant === true) {
      groups.push({ guard: null, rules: [e] });
      continue;
    }
    let g = byKey.get(key);
    if (!g) {
      g = { guard: typed!.test, rules: [] };
      byKey.set(key, g);
      groups.push(g);
    }
    g.rules.push(e);
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
    for (const [t, rules] of byType) {
      const bucket = bucketOf(t as EventType, rules);
      this.buckets.set(t, bucket);
      // Every rule folded to false for this type: the sensors need not produce it.
      if (bucket.size === 0) types.delete(t as EventType);
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
      for (let k = 0; k < rules.length; k++) if (rules[k].test(ev)) (matches ??= []).push(rules[k].rule);
    }
    const literals = bucket.literals;
    if (literals !== null) {
      const n = literals.collect(ev);
      for (let k = 0; k < n; k++) {
        const e = literals.due(k);
        if (e.test(ev)) (matches ??= []).push(e.rule);
      }
    }
    const indexes = bucket.indexes;
    for (let i = 0; i < indexes.length; i++) {
      const value = indexes[i].get(ev);
      const rules = typeof value === 'string' ? indexes[i].byValue.get(value) : undefined;
      if (rules === undefined) continue;
      for (let k = 0; k < rules.length; k++) if (rules[k].test(ev)) (matches ??= []).push(rules[k].rule);
    }
    const paths = bucket.paths;
    if (paths.length > 0) {
      const seen = bucket.seen;
      const stamp = (bucket.stamp = bucket.stamp === 0xffffffff ? 1 : bucket.stamp + 1);
      if (stamp === 1) seen.fill(0);
      for (let i = 0; i < paths.length; i++) {
        const value = paths[i].get(ev);
        if (typeof value !== 'string') continue;
        const parts = pathComponents(value);
        // The root holds `/` (a prefix of every path) and exact values without a component.
        let node: PathNode | undefined = paths[i].root;
        for (let p = 0; ; p++) {
          let rules = node.rules;
          for (let k = 0; k < rules.length; k++) {
            const slot = node.slots[k];
            if (seen[slot] === stamp) continue;
            seen[slot] = stamp;
            if (rules[k].test(ev)) (matches ??= []).push(rules[k].rule);
          }
          if (p === parts.length) {
            rules = node.exact;
            for (let k = 0; k < rules.length; k++) {
              const slot = node.exactSlots[k];
              if (seen[slot] === stamp) continue;
              seen[slot] = stamp;
              if (rules[k].test(ev)) (matches ??= []).push(rules[k].rule);
            }
            break;
          }
          node = node.next.get(parts[p]);
          if (node === undefined) break;
        }
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
