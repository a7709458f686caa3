/**
 * The kernel-side prefilter for opens (docs/performance.md, "Kernel-side prefilter for opens"):
 * from the loaded rules, a necessary condition on the opens any of them can match, which the
 * exit_open* programs check before they build a record (bpf/tracepoints/vg_open_filter.h).
 *
 * Each rule's condition is over-approximated, for each open type, as alternatives of (a flag
 * need, a path constraint). A flag need is the set of access modes allowed, whether the open must
 * have succeeded, and bits of which one must be set. A path constraint is a prefix or an exact
 * path (one LPM trie), a suffix (an LPM trie of reversed paths), a whole path component (a bloom
 * bitmap) or nothing. `and` keeps the stronger side, `or` unites, `not` and every field the kernel
 * does not see give no constraint. Only opens with an absolute path in normal form (no `//`, `.`,
 * `..` or trailing `/`, all ASCII, shorter than a trie key) can be filtered, because then fd.name
 * is that path byte for byte: every other open is reported. One rule on an open type with no
 * constraint at all turns the filter off, and the plan says which rule.
 *
 * The plan's shape, and how the kernel judges an open with it: src/sensor/open-filter-plan.ts.
 */
import { OPEN_EVENT_TYPES, rowOf, type EventType } from '../event/table.js';
import type { CheckExpr, Expr } from '../engine/condition/ast.js';
import { unquoteItem, type CompileContext } from '../engine/condition/compile-condition.js';
import { eventTypesOf } from '../engine/condition/evttypes.js';
import { OPEN_FLAGS } from '../sensor/flags.js';
import { MAX_ENTRIES, MAX_PATH, type FlagNeed, type OpenFilterPlan } from '../sensor/open-filter-plan.js';
import { regexSuffixes } from './regex-suffixes.js';

export const OPEN_TYPES: readonly EventType[] = OPEN_EVENT_TYPES;
/** The arguments an open event has (of any open type: evt.arg.* and evt.rawarg.*). */
export const OPEN_ARGS: ReadonlySet<string> = new Set(OPEN_TYPES.flatMap((t) => rowOf(t).args));

const O_CREAT = 0o100;
const ACC_ALL = 0b1111;
const ACC_READ = 0b0101; // O_RDONLY, O_RDWR
const ACC_WRITE = 0b0110; // O_WRONLY, O_RDWR

export type PathNeed = { kind: 'any' } | { kind: 'prefix' | 'exact' | 'suffix' | 'component'; value: string };

interface Alt {
  flags: FlagNeed;
  path: PathNeed;
}

const ANY_FLAGS: FlagNeed = { acc: ACC_ALL, success: false, bits: 0 };
const TRUE: Alt[] = [{ flags: ANY_FLAGS, path: { kind: 'any' } }];
const FALSE: Alt[] = [];
const MAX_ALTS = 256;

function unionFlags(a: FlagNeed | null, b: FlagNeed): FlagNeed {
  if (a === null) return { ...b };
  return {
    acc: a.acc | b.acc,
    success: a.success && b.success,
    bits: a.bits === 0 || b.bits === 0 ? 0 : a.bits | b.bits,
  };
}

function intersectFlags(a: FlagNeed, b: FlagNeed): FlagNeed {
  return { acc: a.acc & b.acc, success: a.success || b.success, bits: a.bits !== 0 ? a.bits : b.bits };
}

const RANK: Record<PathNeed['kind'], number> = { exact: 4, prefix: 3, suffix: 2, component: 1, any: 0 };

/** Both must hold: either one alone is still a necessary condition; keep the more selective. */
function intersectPath(a: PathNeed, b: PathNeed): PathNeed {
  if (RANK[b.kind] > RANK[a.kind]) return b;
  if (a.kind === 'prefix' && b.kind === 'prefix' && b.value.length > a.value.length) return b;
  return a;
}

function and(a: Alt[], b: Alt[]): Alt[] {
  if (a.length === 0 || b.length === 0) return FALSE;
  if (a.length * b.length > MAX_ALTS) return a.length <= b.length ? a : b;
  const out: Alt[] = [];
  for (const x of a) {
    for (const y of b) {
      const flags = intersectFlags(x.flags, y.flags);
      if (flags.acc !== 0) out.push({ flags, path: intersectPath(x.path, y.path) });
    }
  }
  return out;
}

function or(a: Alt[], b: Alt[]): Alt[] {
  const out = [...a, ...b];
  if (out.length <= MAX_ALTS) return out;
  // Too many to keep apart: one alternative with any path and the union of the flags.
  let flags: FlagNeed | null = null;
  for (const x of out) flags = unionFlags(flags, x.flags);
  return [{ flags: flags!, path: { kind: 'any' } }];
}

const pathAlts = (kind: Exclude<PathNeed['kind'], 'any'>, values: readonly string[]): Alt[] =>
  values.map((value) => ({ flags: ANY_FLAGS, path: { kind, value } }));

/** Items of a list operand (list names expanded), or undefined when unknown. */
export function itemsOf(r: CheckExpr['right'], ctx: CompileContext): string[] | undefined {
  if (r?.kind === 'value') return ctx.lists.get(r.value)?.map(unquoteItem);
  if (r?.kind !== 'list') return undefined;
  return r.items.flatMap((item) => ctx.lists.get(item.value)?.map(unquoteItem) ?? [item.value]);
}

/** The values a string check compares with: `=` one, `in`/`pmatch` a list; else undefined. */
export function valuesOf(e: CheckExpr, ctx: CompileContext): string[] | undefined {
  const r = e.right;
  if (e.op === 'in' || e.op === 'pmatch') return itemsOf(r, ctx);
  if (r?.kind === 'value') return [r.value];
  return undefined;
}

/** pmatch p on a normal absolute path: the path is p's components, or begins with them and a '/'. */
function pmatchAlts(items: readonly string[]): Alt[] {
  const out: Alt[] = [];
  for (const item of items) {
    const parts = item.split('/').filter((c) => c !== '');
    if (parts.length === 0) return TRUE;
    const p = `/${parts.join('/')}`;
    out.push(...pathAlts('exact', [p]), ...pathAlts('prefix', [`${p}/`]));
  }
  return out;
}

/** A whole component inside `s` (between two '/'), for `contains`. */
function wholeComponent(s: string): string | undefined {
  const parts = s.split('/');
  // The first and last pieces may be parts of a component; the ones between are whole.
  const inner = parts.slice(1, -1).filter((c) => c !== '' && c !== '.' && c !== '..');
  return inner.sort((x, y) => y.length - x.length)[0];
}

/** fd.name, fd.nameraw: on the opens the kernel judges, both are the absolute path as passed. */
function nameCheck(e: CheckExpr, ctx: CompileContext): Alt[] {
  const values = valuesOf(e, ctx);
  if (values === undefined) return TRUE;
  switch (e.op) {
    case '=':
    case '==':
    case 'in':
      // A relative value only matches opens the kernel never filters (relative paths).
      return pathAlts(
        'exact',
        values.filter((v) => v.startsWith('/')),
      );
    case 'pmatch':
      return pmatchAlts(values);
    case 'startswith':
      if (values[0] === '') return TRUE;
      return values[0].startsWith('/') ? pathAlts('prefix', values) : FALSE;
    case 'endswith':
      return values[0] === '' ? TRUE : pathAlts('suffix', values);
    case 'glob': {
      const lit = /^[^*?[\\]*/.exec(values[0])![0];
      if (lit === values[0]) return lit.startsWith('/') ? pathAlts('exact', [lit]) : FALSE;
      return lit.startsWith('/') ? pathAlts('prefix', [lit]) : lit === '' ? TRUE : FALSE;
    }
    case 'contains': {
      const c = wholeComponent(values[0]);
      return c === undefined ? TRUE : pathAlts('component', [c]);
    }
    case 'regex': {
      const tails = regexSuffixes(values[0]);
      return tails === undefined ? TRUE : pathAlts('suffix', tails);
    }
    default:
      return TRUE;
  }
}

/** fd.directory: the path without its last component (a directory opened: the path itself). */
function directoryCheck(e: CheckExpr, ctx: CompileContext): Alt[] {
  const values = valuesOf(e, ctx);
  if (values === undefined) return TRUE;
  switch (e.op) {
    case '=':
    case '==':
    case 'in': {
      const out: Alt[] = [];
      for (const d of values) {
        if (!d.startsWith('/')) continue;
        if (d === '/') return TRUE;
        out.push(...pathAlts('exact', [d]), ...pathAlts('prefix', [`${d}/`]));
      }
      return out;
    }
    case 'pmatch':
      return pmatchAlts(values);
    case 'startswith':
      return values[0].startsWith('/') ? pathAlts('prefix', values) : values[0] === '' ? TRUE : FALSE;
    default:
      return TRUE;
  }
}

/** fd.filename: the last component. */
function filenameCheck(e: CheckExpr, ctx: CompileContext): Alt[] {
  const values = valuesOf(e, ctx);
  if (values === undefined) return TRUE;
  if (e.op === '=' || e.op === '==' || e.op === 'in') {
    const names = values.filter((v) => v !== '' && !v.includes('/'));
    if (values.includes('')) return TRUE;
    return pathAlts(
      'suffix',
      names.map((n) => `/${n}`),
    );
  }
  if (e.op === 'endswith') return values[0] === '' ? TRUE : pathAlts('suffix', values);
  return TRUE;
}

const isTrue = (e: CheckExpr): boolean | undefined => {
  if ((e.op !== '=' && e.op !== '==') || e.right?.kind !== 'value') return undefined;
  return e.right.value === 'true' ? true : e.right.value === 'false' ? false : undefined;
};

const flagAlt = (flags: Partial<FlagNeed>): Alt[] => [
  { flags: { ...ANY_FLAGS, ...flags }, path: { kind: 'any' } },
];

/** `evt.arg.flags contains NAME`: the access modes or bits under which the rendering names NAME. */
function flagsContains(name: string): Alt[] {
  if (name === 'O_RDONLY') return flagAlt({ acc: 0b0001 });
  if ((!name.startsWith('O_') && name !== 'FASYNC') || 'O_RDONLY'.includes(name)) return TRUE;
  // Every flag whose name has `name` in it (O_DIRECT is inside O_DIRECTORY).
  const named = OPEN_FLAGS.filter(([n]) => n.includes(name));
  if (named.length === 0) return TRUE;
  if (named.some(([n]) => n === 'O_WRONLY' || n === 'O_RDWR')) {
    return named.length === 1 ? flagAlt({ acc: named[0][0] === 'O_WRONLY' ? 0b1010 : 0b1100 }) : TRUE;
  }
  return flagAlt({ bits: named.reduce((m, [, b]) => m | b, 0) });
}

function check(e: CheckExpr, type: EventType, ctx: CompileContext): Alt[] {
  if (e.left.kind !== 'field') return TRUE;
  const { name, arg } = e.left;
  if (name === 'evt.type') {
    const types = eventTypesOf(e, ctx.macros, ctx.lists);
    return types === null || types.has(type) ? TRUE : FALSE;
  }
  const flagsArg = (name === 'evt.arg' && arg?.value === 'flags') || (name === 'evt.arg.flags' && !arg);
  if (flagsArg) return e.op === 'contains' && e.right?.kind === 'value' ? flagsContains(e.right.value) : TRUE;
  // An argument opens do not have (evt.arg.newpath...) is undefined, and a check on undefined is false.
  const key =
    /^evt\.(?:raw)?arg\.(.+)$/.exec(name)?.[1] ?? (/^evt\.(raw)?arg$/.test(name) ? arg?.value : undefined);
  if (key !== undefined && /^[a-z_]+$/.test(key) && !OPEN_ARGS.has(key)) return FALSE;
  if (arg !== undefined) return TRUE;
  switch (name) {
    case 'fd.name':
    case 'fd.nameraw':
      return nameCheck(e, ctx);
    case 'fd.directory':
      return directoryCheck(e, ctx);
    case 'fd.filename':
      return filenameCheck(e, ctx);
    case 'evt.is_open_read':
    case 'evt.is_open_write': {
      const v = isTrue(e);
      if (v === undefined) return TRUE;
      const acc = name === 'evt.is_open_read' ? ACC_READ : ACC_WRITE;
      return flagAlt({ acc: v ? acc : ACC_ALL & ~acc });
    }
    case 'evt.is_open_create':
    case 'evt.is_open_exec':
      return isTrue(e) === true ? flagAlt({ bits: O_CREAT }) : TRUE;
    case 'fd.num':
      // fd.num >= 0 (or > -1): the open returned an fd.
      if (e.right?.kind !== 'value') return TRUE;
      if ((e.op === '>=' && Number(e.right.value) >= 0) || (e.op === '>' && Number(e.right.value) >= -1)) {
        return flagAlt({ success: true });
      }
      return TRUE;
    case 'evt.res':
      return (e.op === '=' || e.op === '==') && e.right?.kind === 'value' && e.right.value === 'SUCCESS'
        ? flagAlt({ success: true })
        : TRUE;
    default:
      return TRUE;
  }
}

/** The alternatives under which `e` can hold for an open of this type. */
function alts(e: Expr, type: EventType, ctx: CompileContext, depth = 0): Alt[] {
  if (depth > 64) return TRUE;
  switch (e.kind) {
    case 'and':
      return e.children.reduce<Alt[]>((acc, c) => and(acc, alts(c, type, ctx, depth + 1)), TRUE);
    case 'or':
      return e.children.reduce<Alt[]>((acc, c) => or(acc, alts(c, type, ctx, depth + 1)), FALSE);
    case 'not': {
      // Only evt.type under `not` is decided exactly (the rest could be anything).
      const types = eventTypesOf(e, ctx.macros, ctx.lists);
      return types !== null && !types.has(type) ? FALSE : TRUE;
    }
    case 'macro': {
      const body = ctx.macros.get(e.name);
      return body === undefined ? TRUE : alts(body, type, ctx, depth + 1);
    }
    case 'check':
      return check(e, type, ctx);
  }
}

export interface FilterRule {
  name: string;
  eventTypes: ReadonlySet<EventType> | null;
  ast?: { expr: Expr; ctx: CompileContext };
}

/** Where an alternative goes: an entry of a trie, the component set, or the any-path need. */
function place(
  plan: OpenFilterPlan,
  a: Alt,
  prefixes: Map<string, FlagNeed>,
  suffixes: Map<string, FlagNeed>,
) {
  const p = a.path;
  const fits = p.kind !== 'any' && p.value.length <= MAX_PATH && /^[\x20-\x7e]*$/.test(p.value);
  if (p.kind === 'any' || !fits) {
    // Too long or not plain ASCII for the kernel's key: over-approximated as a shorter or no constraint.
    if (p.kind === 'prefix' || p.kind === 'exact') {
      const cut = /^[\x20-\x7e]*/.exec(p.value)![0].slice(0, MAX_PATH);
      if (cut.length > 1) return void prefixes.set(cut, unionFlags(prefixes.get(cut) ?? null, a.flags));
    }
    plan.anyNeed = unionFlags(plan.anyNeed, a.flags);
    return;
  }
  if (p.kind === 'component') {
    plan.components.add(p.value);
    plan.componentNeed = unionFlags(plan.componentNeed, a.flags);
    return;
  }
  const map = p.kind === 'suffix' ? suffixes : prefixes;
  const key = p.kind === 'exact' ? `${p.value}\0` : p.value;
  map.set(key, unionFlags(map.get(key) ?? null, a.flags));
}

/**
 * An LPM trie returns only the longest match: each entry carries the needs of the shorter entries
 * that match whatever it matches (prefixes of a prefix; suffixes of a suffix). Exact paths end in NUL.
 */
function fold(entries: Map<string, FlagNeed>, suffix: boolean): Map<string, FlagNeed> {
  const out = new Map<string, FlagNeed>();
  const keys = [...entries.keys()];
  for (const k of keys) {
    let need = entries.get(k)!;
    for (const j of keys) {
      const within = suffix ? k.endsWith(j) : !j.endsWith('\0') && k.startsWith(j);
      if (j !== k && within) need = unionFlags(need, entries.get(j)!);
    }
    out.set(k, need);
  }
  return out;
}

const offPlan = (rules: number, off: string, exact: Map<string, FlagNeed>): OpenFilterPlan => ({
  on: false,
  off,
  rules,
  prefixes: new Map(),
  suffixes: new Map(),
  components: new Set(),
  componentNeed: null,
  anyNeed: null,
  exact,
});

const acceptsAny = (a: Alt): boolean =>
  a.path.kind === 'any' && a.flags.acc === ACC_ALL && !a.flags.success && a.flags.bits === 0;

/**
 * The filter for these (enabled) rules. Every rule is read even once the filter is known to be
 * off: the exact paths (plan.exact) are wanted either way.
 */
export function deriveOpenFilter(rules: readonly FilterRule[]): OpenFilterPlan {
  const onOpens = rules.filter((r) => r.eventTypes === null || OPEN_TYPES.some((t) => r.eventTypes!.has(t)));
  const exact = new Map<string, FlagNeed>();
  const plan = offPlan(onOpens.length, '', exact);
  const prefixes = new Map<string, FlagNeed>();
  const suffixes = new Map<string, FlagNeed>();
  let off: string | null = null;
  for (const r of onOpens) {
    if (r.ast === undefined) {
      off ??= `rule '${r.name}' has no parsed condition`;
      continue;
    }
    for (const type of OPEN_TYPES) {
      if (r.eventTypes !== null && !r.eventTypes.has(type)) continue;
      for (const a of alts(r.ast.expr, type, r.ast.ctx)) {
        if (acceptsAny(a)) off ??= `rule '${r.name}' can match any ${type} (no path or flag constraint)`;
        if (a.path.kind === 'exact' && a.path.value.startsWith('/')) {
          exact.set(a.path.value, unionFlags(exact.get(a.path.value) ?? null, a.flags));
        }
        if (off === null) place(plan, a, prefixes, suffixes);
      }
    }
  }
  if (off === null && (prefixes.size > MAX_ENTRIES || suffixes.size > MAX_ENTRIES)) {
    off = `the rules name more than ${MAX_ENTRIES} paths`;
  }
  if (off !== null) return offPlan(onOpens.length, off, exact);
  plan.on = true;
  plan.off = null;
  plan.prefixes = fold(prefixes, false);
  plan.suffixes = fold(suffixes, true);
  return plan;
}
