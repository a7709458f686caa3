/**
 * The kernel-side prefilter for socket(2) (docs/performance.md, "Kernel-side prefilter for
 * sockets"): from the loaded rules, the (domain, base type) pairs of the sockets any of them can
 * match; enter_socket reports no other socket (bpf/tracepoints/net.bpf.c). Every TCP connection
 * starts with a socket(2) call, and the bundled rules only look at packet and raw sockets.
 *
 * Each rule's condition is over-approximated as alternatives of (a set of domains, a set of base
 * types): a check on evt.arg.domain / evt.arg.type (or their raw values) is decided for every
 * value the kernel judges (domain below 64, type & 0xf with at most SOCK_NONBLOCK and
 * SOCK_CLOEXEC besides), by rendering each one as the decoder does; `and` intersects, `or`
 * unites, `not` and every other field give no constraint. One rule on socket with no constraint
 * turns the filter off, and the plan says which rule.
 */
import { rowOf, type EventType } from '../event/table.js';
import type { CheckExpr, Expr } from '../engine/condition/ast.js';
import type { CompileContext } from '../engine/condition/compile-condition.js';
import { eventTypesOf } from '../engine/condition/evttypes.js';
import { renderSocketFamily, renderSocketType } from '../sensor/flags.js';
import { SOCK_BASE_TYPES, SOCK_DOMAINS, type SocketFilterPlan } from '../sensor/socket-filter-plan.js';
import { valuesOf, type FilterRule } from './open-filter.js';

const SOCKET: EventType = 'socket';
const SOCKET_ARGS: ReadonlySet<string> = new Set(rowOf(SOCKET).args);
const ALL_DOMAINS = 2n ** BigInt(SOCK_DOMAINS) - 1n;
const ALL_TYPES = 2 ** SOCK_BASE_TYPES - 1;
/** The flag combinations a judged socket type can carry: SOCK_NONBLOCK, SOCK_CLOEXEC. */
const FLAG_SETS = [0, 0o4000, 0o2000000, 0o4000 | 0o2000000];
const MAX_ALTS = 256;

/** Domains (bit d) and base types (bit t) a socket can have under one alternative. */
interface Alt {
  domains: bigint;
  types: number;
}

const TRUE: Alt[] = [{ domains: ALL_DOMAINS, types: ALL_TYPES }];
const FALSE: Alt[] = [];

function and(a: Alt[], b: Alt[]): Alt[] {
  if (a.length * b.length > MAX_ALTS) return a.length <= b.length ? a : b;
  const out: Alt[] = [];
  for (const x of a) {
    for (const y of b) {
      const alt = { domains: x.domains & y.domains, types: x.types & y.types };
      if (alt.domains !== 0n && alt.types !== 0) out.push(alt);
    }
  }
  return out;
}

function or(a: Alt[], b: Alt[]): Alt[] {
  const out = [...a, ...b];
  if (out.length <= MAX_ALTS) return out;
  return [out.reduce((m, x) => ({ domains: m.domains | x.domains, types: m.types | x.types }))];
}

/** Whether the string check holds for `value` (the operators decided here), or undefined. */
function holds(op: CheckExpr['op'], values: readonly string[], value: string): boolean | undefined {
  switch (op) {
    case '=':
    case '==':
    case 'in':
      return values.includes(value);
    case 'startswith':
      return value.startsWith(values[0]);
    case 'endswith':
      return value.endsWith(values[0]);
    case 'contains':
      return value.includes(values[0]);
    default:
      return undefined;
  }
}

/** The candidates (a bit each) under which the check holds; `render` gives each one's value(s). */
function decide(
  e: CheckExpr,
  ctx: CompileContext,
  count: number,
  render: (i: number) => readonly string[],
): bigint | undefined {
  const values = valuesOf(e, ctx);
  if (values === undefined || values.length === 0) return undefined;
  let bits = 0n;
  for (let i = 0; i < count; i++) {
    for (const v of render(i)) {
      const h = holds(e.op, values, v);
      if (h === undefined) return undefined;
      if (h) bits |= 1n << BigInt(i);
    }
  }
  return bits;
}

const renderDomain = (d: number): string[] => [renderSocketFamily(d)];
const renderType = (t: number): string[] => FLAG_SETS.map((f) => renderSocketType(t | f));
const rawDomain = (d: number): string[] => [String(d)];
const rawType = (t: number): string[] => FLAG_SETS.map((f) => String(t | f));

function check(e: CheckExpr, ctx: CompileContext): Alt[] {
  if (e.left.kind !== 'field') return TRUE;
  const { name, arg } = e.left;
  if (name === 'evt.type') {
    const types = eventTypesOf(e, ctx.macros, ctx.lists);
    return types === null || types.has(SOCKET) ? TRUE : FALSE;
  }
  const m = /^evt\.(raw)?arg(?:\.(.+))?$/.exec(name);
  const key = m?.[2] ?? (m ? arg?.value : undefined);
  if (m === null || key === undefined) return TRUE;
  // An argument socket does not have (evt.arg.path...) is undefined, and a check on undefined is false.
  if (/^[a-z_]+$/.test(key) && !SOCKET_ARGS.has(key)) return FALSE;
  const raw = m[1] === 'raw';
  if (key === 'domain') {
    const bits = decide(e, ctx, SOCK_DOMAINS, raw ? rawDomain : renderDomain);
    return bits === undefined ? TRUE : [{ domains: bits, types: ALL_TYPES }];
  }
  if (key === 'type') {
    const bits = decide(e, ctx, SOCK_BASE_TYPES, raw ? rawType : renderType);
    return bits === undefined ? TRUE : [{ domains: ALL_DOMAINS, types: Number(bits) }];
  }
  return TRUE;
}

/** The alternatives under which `e` can hold for a socket call. */
function alts(e: Expr, ctx: CompileContext, depth = 0): Alt[] {
  if (depth > 64) return TRUE;
  switch (e.kind) {
    case 'and':
      return e.children.reduce<Alt[]>((acc, c) => and(acc, alts(c, ctx, depth + 1)), TRUE);
    case 'or':
      return e.children.reduce<Alt[]>((acc, c) => or(acc, alts(c, ctx, depth + 1)), FALSE);
    case 'not': {
      // Only evt.type under `not` is decided exactly (the rest could be anything).
      const types = eventTypesOf(e, ctx.macros, ctx.lists);
      return types !== null && !types.has(SOCKET) ? FALSE : TRUE;
    }
    case 'macro': {
      const body = ctx.macros.get(e.name);
      return body === undefined ? TRUE : alts(body, ctx, depth + 1);
    }
    case 'check':
      return check(e, ctx);
  }
}

const off = (rules: number, why: string): SocketFilterPlan => ({
  on: false,
  off: why,
  rules,
  drop: new Uint32Array(SOCK_DOMAINS),
});

/** The filter for these (enabled) rules. */
export function deriveSocketFilter(rules: readonly FilterRule[]): SocketFilterPlan {
  const onSockets = rules.filter((r) => r.eventTypes === null || r.eventTypes.has(SOCKET));
  const wanted = new Uint32Array(SOCK_DOMAINS);
  for (const r of onSockets) {
    if (r.ast === undefined) return off(onSockets.length, `rule '${r.name}' has no parsed condition`);
    for (const a of alts(r.ast.expr, r.ast.ctx)) {
      if (a.domains === ALL_DOMAINS && a.types === ALL_TYPES) {
        return off(onSockets.length, `rule '${r.name}' can match any socket (no domain or type constraint)`);
      }
      for (let d = 0; d < SOCK_DOMAINS; d++) if ((a.domains >> BigInt(d)) & 1n) wanted[d] |= a.types;
    }
  }
  const drop = wanted.map((w) => ~w & ALL_TYPES);
  return { on: true, off: null, rules: onSockets.length, drop };
}

/** The plan in a line (the probes log line): the wanted sockets, or why the filter is off. */
export function formatSocketFilter(plan: SocketFilterPlan): string {
  if (!plan.on) return `off: ${plan.off}`;
  const parts: string[] = [];
  for (let d = 0; d < SOCK_DOMAINS; d++) {
    const want = ~plan.drop[d] & ALL_TYPES;
    if (want === 0) continue;
    const types =
      want === ALL_TYPES
        ? 'any'
        : [...Array(SOCK_BASE_TYPES).keys()].filter((t) => (want >> t) & 1).map((t) => renderSocketType(t));
    parts.push(`${renderSocketFamily(d)} ${types === 'any' ? types : types.join('/')}`);
  }
  return `on, ${plan.rules} rules: ${parts.length === 0 ? 'no socket' : parts.join(', ')}`;
}
