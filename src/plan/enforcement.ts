/**
 * From a rule's condition to what the kernel can check by itself, or the reason it cannot.
 *
 * The rule's parsed condition is walked with its macros inlined and its named lists expanded
 * (as the rule loader resolved them); a condition given as text alone (tests) is parsed without
 * them, and a macro or list it names makes it a user-space one. A rule is compiled to the kernel
 * only when its whole condition is a conjunction of atoms the kernel checks exactly, so the
 * kernel never acts more broadly than the rule:
 *   evt.type = T | evt.type in (...)                       which probe checks it (required);
 *                                                          execveat is execve (both end at
 *                                                          sched_process_exec, one event type)
 *   evt.res = SUCCESS, evt.dir = <                         at exec: always true there
 *   proc.name = V | in (...)                               comm, any kernel-checked event type
 *   proc.exepath = V | in (...)                            exe path walked at exec (exec only)
 *   proc.exe = V | in (...)                                argv[0] of the new image (exec only)
 *   proc.pname = V | in (...)                              the parent's comm (exec only)
 *   proc.pexepath = V | in (...)                           the parent's exe path (exec only)
 *   proc.cmdline, proc.args = | in | startswith | contains V   the command line (exec only,
 *                                                          printable ASCII; a bounded window)
 *   fd.name = V | in (...)                                 file family: the path as passed
 *   user.uid = N                                           real uid
 *   fd.sip/fd.rip = IP, fd.sport/fd.rport = N, fd.l4proto = tcp|udp   connect/sendto (deny)
 *   fd.sip/fd.lip = IP, fd.sport/fd.lport = N, fd.l4proto = tcp|udp   bind (deny)
 * Everything else (negations, or, other fields, other operators) makes the rule a user-space one.
 */
import { isIP } from 'node:net';
import { isEventType, rowOf, typesWhere, type EventType, type NetDenyHook } from '../event/table.js';
import type { CheckExpr, Expr } from '../engine/condition/ast.js';
import type { CompileContext } from '../engine/condition/compile-condition.js';
import { parseCondition } from '../engine/condition/parse.js';
import type { CompiledRule } from '../engine/rules/compile-rules.js';

/** Event types whose records pass through vg_enforce_rec (sched_exec and the file family). */
const RECORD_KILL_TYPES: ReadonlySet<EventType> = new Set(typesWhere((r) => r.recordKill));
/** Strings the kernel compares are shorter than this (VG_ENF_VAL_MAX). */
export const KERNEL_STRING_MAX = 256;
/** A rule expanding to more policy entries than this is left to user space. */
const MAX_ENTRIES_PER_RULE = 256;
/** Macro nesting followed when inlining (the loader bounds it already: macro-depth.ts). */
const MAX_MACRO_DEPTH = 32;
/**
 * The command-line window the kernel sees (bpf/enforce/vg_enforce_maps.h): a value is at most
 * VG_ENF_PFX_MAX - 1 bytes (an exact one is compared with its NUL), contains is looked for at the
 * first VG_ENF_TEXT_WIN offsets.
 */
export const TEXT_VALUE_MAX = 247;
export const TEXT_CONTAINS_WINDOW = 256;
/** Falco's exec event types: vigil reports both as execve, from sched_process_exec. */
const EXEC_ALIASES: ReadonlySet<string> = new Set(['execve', 'execveat']);

/**
 * The string a policy entry compares (enum vg_enf_field): the task's comm, the record's first
 * string (exec: the exe path; file family: the path as passed), argv[0] of the new image, the
 * parent's comm.
 */
export type StringField = 'comm' | 'str0' | 'argv0' | 'pcomm' | 'pexe' | 'cmdline' | 'args';

/** How a value compares: the whole string (hash map) or, for the command line, a part (LPM trie). */
export type StringMatch = 'exact' | 'prefix' | 'contains';

export interface StringPolicy {
  kind: 'string';
  types: EventType[];
  field: StringField;
  /** absent: exact */
  match?: StringMatch;
  values: string[];
  uid: number | undefined;
}

export interface NetPolicy {
  kind: 'net';
  hooks: NetDenyHook[];
  addrs: string[]; // empty: any address
  port: number | undefined;
  proto: 'tcp' | 'udp' | undefined;
  uid: number | undefined;
}

export type KernelPolicy = StringPolicy | NetPolicy;

/**
 * What a rule's action gets, from the strongest: refused before the call (cgroup programs, BPF
 * LSM), killed by the probe at exec before the program's first instruction, killed by the probe
 * when the call returns (it completed), killed by the agent after the alert (asynchronous).
 */
export type EnforcementClass = 'kernel-deny' | 'kernel-exec-kill' | 'kernel-kill-after' | 'userspace-kill';

/** How `vigil rules check` and monitor-mode alerts name each class. */
export const CLASS_TEXT: Readonly<Record<EnforcementClass, string>> = {
  'kernel-deny': 'denied in the kernel before the call',
  'kernel-exec-kill': 'killed in the kernel at exec',
  'kernel-kill-after': 'killed in the kernel after the call',
  'userspace-kill': 'killed from user space after the fact',
};

/** How one rule's action is carried out. */
export type EnforcementPlan =
  | {
      rule: string;
      mode: 'kernel';
      action: 'kill' | 'deny';
      class: EnforcementClass;
      how: string;
      policy: KernelPolicy;
    }
  | { rule: string; mode: 'userspace'; action: 'kill' | 'deny'; class: 'userspace-kill'; why: string };

interface Atoms {
  types?: string[];
  comm?: string[];
  /** Unquoted items of `proc.name in (...)`: each may name a list, which this parse cannot expand. */
  commBare?: string[];
  exepath?: string[];
  argv0?: string[];
  pcomm?: string[];
  pexe?: string[];
  cmdline?: { values: string[]; match: StringMatch };
  args?: { values: string[]; match: StringMatch };
  fdname?: string[];
  /** evt.res = SUCCESS or evt.dir = <: true at exec, where the kernel checks (exec only). */
  execOnly?: string;
  uid?: number;
  ip?: string[];
  port?: number;
  /** The fields that named the address and the port (which end they mean depends on the call). */
  netFields?: string[];
  proto?: 'tcp' | 'udp';
}

class NotExact extends Error {}

/** The conjuncts of `e`, macros inlined when the loader's macros are at hand. */
function conjuncts(e: Expr, ctx: CompileContext | undefined, depth = 0): Expr[] {
  if (e.kind === 'and') return e.children.flatMap((c) => conjuncts(c, ctx, depth));
  if (e.kind === 'macro') {
    const body = ctx?.macros.get(e.name);
    if (body === undefined || depth >= MAX_MACRO_DEPTH)
      throw new NotExact(`uses macro '${e.name}' (the kernel path takes atoms written in the rule)`);
    return conjuncts(body, ctx, depth + 1);
  }
  return [e];
}

function literals(c: CheckExpr, ctx: CompileContext | undefined): string[] {
  const r = c.right;
  if (c.op === '=' || c.op === '==') {
    if (r?.kind !== 'value') throw new NotExact(`${atomText(c)}: the right-hand side is not a literal`);
    return [r.value];
  }
  if (c.op === 'in') {
    if (r?.kind !== 'list')
      throw new NotExact(`${atomText(c)}: a named list (the kernel path takes inline values)`);
    // An unquoted item naming a list stands for its items, as the rule engine reads it.
    return r.items.flatMap((i) => (!i.quoted && ctx?.lists.get(i.value)) || [i.value]);
  }
  throw new NotExact(`${atomText(c)}: operator '${c.op}' (the kernel compares exact values only)`);
}

function atomText(c: CheckExpr): string {
  const name = c.left.kind === 'field' ? c.left.name : `${c.left.transformer}(...)`;
  return `${name} ${c.op}`;
}

/** A command-line atom: =, in (exact), startswith (prefix) or contains of printable ASCII values. */
function textAtom(c: CheckExpr, ctx: CompileContext | undefined): { values: string[]; match: StringMatch } {
  let match: StringMatch = 'exact';
  let values: string[];
  if (c.op === 'startswith' || c.op === 'contains') {
    if (c.right?.kind !== 'value') throw new NotExact(`${atomText(c)}: the right-hand side is not a literal`);
    match = c.op === 'startswith' ? 'prefix' : 'contains';
    values = [c.right.value];
  } else values = literals(c, ctx);
  for (const v of values) {
    // ASCII bytes decode as themselves whatever surrounds them: the bytes the kernel matches
    // are the characters the rule matches.
    if (!/^[\x20-\x7e]+$/.test(v))
      throw new NotExact(`${atomText(c)}: the kernel compares printable ASCII only`);
    if (v.length > TEXT_VALUE_MAX)
      throw new NotExact(`${atomText(c)}: '${v.slice(0, 32)}...' is too long for the kernel`);
  }
  return { values, match };
}

function once<K extends keyof Atoms>(atoms: Atoms, key: K, value: Atoms[K], c: CheckExpr): void {
  if (atoms[key] !== undefined) throw new NotExact(`${atomText(c)} appears twice`);
  atoms[key] = value;
}

function collect(expr: Expr, ctx: CompileContext | undefined): Atoms {
  const atoms: Atoms = {};
  for (const e of conjuncts(expr, ctx)) {
    if (e.kind !== 'check')
      throw new NotExact(`has '${e.kind}' (the kernel checks a conjunction of exact atoms)`);
    if (e.left.kind !== 'field' || e.left.arg !== undefined)
      throw new NotExact(`${atomText(e)}: a transformed or indexed field`);
    const vals = (): string[] => literals(e, ctx);
    switch (e.left.name) {
      case 'evt.type':
        once(atoms, 'types', vals(), e);
        break;
      case 'evt.res':
      case 'evt.dir': {
        const want = e.left.name === 'evt.res' ? 'SUCCESS' : '<';
        const v = vals();
        if (v.length !== 1 || v[0] !== want)
          throw new NotExact(`${atomText(e)}: only ${want} is known at exec`);
        atoms.execOnly ??= `${e.left.name} = ${want}`;
        break;
      }
      case 'proc.name':
        once(atoms, 'comm', vals(), e);
        // With the loader's lists at hand, an unquoted item is a list (expanded) or a literal.
        if (ctx === undefined && e.op === 'in' && e.right?.kind === 'list')
          atoms.commBare = e.right.items.filter((i) => !i.quoted).map((i) => i.value);
        break;
      case 'proc.exepath':
        once(atoms, 'exepath', vals(), e);
        break;
      case 'proc.exe':
        once(atoms, 'argv0', vals(), e);
        break;
      case 'proc.pname':
        once(atoms, 'pcomm', vals(), e);
        break;
      case 'proc.pexepath':
        once(atoms, 'pexe', vals(), e);
        break;
      case 'proc.cmdline':
        once(atoms, 'cmdline', textAtom(e, ctx), e);
        break;
      case 'proc.args':
        once(atoms, 'args', textAtom(e, ctx), e);
        break;
      case 'fd.name':
        once(atoms, 'fdname', vals(), e);
        break;
      case 'user.uid': {
        const v = vals();
        if (v.length !== 1 || !/^\d+$/.test(v[0])) throw new NotExact(`${atomText(e)}: one numeric uid`);
        once(atoms, 'uid', Number(v[0]), e);
        break;
      }
      case 'fd.sip':
      case 'fd.rip':
      case 'fd.lip': {
        const v = vals();
        for (const ip of v) {
          if (isIP(ip) === 0) throw new NotExact(`${atomText(e)}: '${ip}' is not an IP address`);
          // (all zero is "any address" in the kernel's key)
          if (/^(0\.0\.0\.0|::|0:0:0:0:0:0:0:0)$/.test(ip))
            throw new NotExact(`${atomText(e)}: the unspecified address '${ip}'`);
        }
        once(atoms, 'ip', v, e);
        (atoms.netFields ??= []).push(e.left.name);
        break;
      }
      case 'fd.sport':
      case 'fd.rport':
      case 'fd.lport': {
        const v = vals();
        if (v.length !== 1 || !/^\d+$/.test(v[0]) || Number(v[0]) > 65535 || Number(v[0]) === 0)
          throw new NotExact(`${atomText(e)}: one port number (1-65535)`);
        once(atoms, 'port', Number(v[0]), e);
        (atoms.netFields ??= []).push(e.left.name);
        break;
      }
      case 'fd.l4proto': {
        const v = vals();
        if (v.length !== 1 || (v[0] !== 'tcp' && v[0] !== 'udp'))
          throw new NotExact(`${atomText(e)}: tcp or udp`);
        once(atoms, 'proto', v[0], e);
        break;
      }
      default:
        throw new NotExact(`${e.left.name} is not a field the kernel checks`);
    }
  }
  return atoms;
}

/** The one string field of a process or file rule, its values and how they compare. */
function stringField(
  types: EventType[],
  a: Atoms,
): { field: StringField; values: string[]; match: StringMatch } {
  const named: [StringField, string, string[] | undefined][] = [
    ['comm', 'proc.name', a.comm],
    ['str0', 'proc.exepath', a.exepath],
    ['argv0', 'proc.exe', a.argv0],
    ['pcomm', 'proc.pname', a.pcomm],
    ['pexe', 'proc.pexepath', a.pexe],
    ['cmdline', 'proc.cmdline', a.cmdline?.values],
    ['args', 'proc.args', a.args?.values],
    ['str0', 'fd.name', a.fdname],
  ];
  const set = named.filter(([, , v]) => v !== undefined);
  if (set.length !== 1)
    throw new NotExact(
      set.length === 0
        ? 'names no proc.name, proc.exepath, proc.exe, proc.pname, proc.pexepath, proc.cmdline, proc.args or fd.name (the kernel would act on every process)'
        : `combines ${set.map(([, n]) => n).join(' and ')} (the kernel compares one string per rule)`,
    );
  const [field, name, values] = set[0] as [StringField, string, string[]];
  const text = field === 'cmdline' ? a.cmdline : field === 'args' ? a.args : undefined;
  const exec = types.every((t) => t === 'execve');
  if (name !== 'proc.name' && name !== 'fd.name' && !exec)
    throw new NotExact(`${name} is checked by the kernel at exec only`);
  if (name === 'fd.name' && types.includes('execve')) throw new NotExact('fd.name on execve');
  if (field === 'comm' || field === 'pcomm') {
    const long = values.find((v) => Buffer.byteLength(v) > 15);
    if (long !== undefined) throw new NotExact(`${name} '${long}' is longer than a comm (15 bytes)`);
  }
  if (field === 'comm') {
    const bare = a.commBare?.find((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v));
    if (bare !== undefined)
      throw new NotExact(`proc.name in (... ${bare} ...): '${bare}' may name a list (quote literal names)`);
  }
  if (text !== undefined) {
    if (!types.every((t) => t === 'execve'))
      throw new NotExact(`${name} is checked by the kernel at exec only`);
    return { field, values, match: text.match };
  }
  // argv[0] is read with its NUL: one byte less than a path fits the kernel's buffer.
  const max = field === 'argv0' ? KERNEL_STRING_MAX - 1 : KERNEL_STRING_MAX;
  for (const v of values) {
    if ((field === 'str0' || field === 'pexe') && !v.startsWith('/'))
      throw new NotExact(`'${v}' is not an absolute path`);
    if (v === '') throw new NotExact(`${name}: an empty value`);
    if (Buffer.byteLength(v) >= max) throw new NotExact(`'${v.slice(0, 32)}...' is too long for the kernel`);
  }
  return { field, values, match: 'exact' };
}

function stringPolicy(
  action: 'kill' | 'deny',
  types: EventType[],
  a: Atoms,
): { policy: KernelPolicy; how: string; class: EnforcementClass } {
  if (a.ip || a.port !== undefined || a.proto)
    throw new NotExact('mixes network fields with a process or file one');
  const { field, values, match } = stringField(types, a);
  if (values.length * types.length > MAX_ENTRIES_PER_RULE)
    throw new NotExact('expands to too many policy entries');
  const exec = types.length === 1 && types[0] === 'execve';
  const at = exec ? 'at exec (sched_process_exec), before the new program runs' : 'when the syscall returns';
  const kill = `SIGKILL from the probe ${at}`;
  const killClass: EnforcementClass = exec ? 'kernel-exec-kill' : 'kernel-kill-after';
  const hooks = [...new Set(types.map((t) => rowOf(t).lsmHook))];
  const lsm = field === 'str0' && hooks.every((h) => h !== undefined);
  const policy: KernelPolicy = { kind: 'string', types, field, values, uid: a.uid };
  if (field === 'cmdline' || field === 'args') policy.match = match;
  if (action === 'kill') return { policy, how: kill, class: killClass };
  if (!lsm)
    return {
      policy,
      how: `${kill} (deny falls back to kill: no BPF LSM hook checks this)`,
      class: killClass,
    };
  return {
    policy,
    how: `EPERM from the BPF LSM hook ${hooks.join('/')} before the call; where the kernel has no BPF LSM, ${kill} (deny falls back to kill)`,
    class: 'kernel-deny',
  };
}

function netPolicy(
  action: 'kill' | 'deny',
  types: EventType[],
  a: Atoms,
): { policy: KernelPolicy; how: string; class: EnforcementClass } {
  if (action !== 'deny')
    throw new NotExact('kill on network events is done from user space (use action: deny)');
  if (a.comm || a.exepath || a.argv0 || a.pcomm || a.pexe || a.cmdline || a.args || a.fdname)
    throw new NotExact('mixes network fields with a process or file one');
  if (!a.ip && a.port === undefined)
    throw new NotExact('names no address or port (the kernel would deny every connection)');
  const hooks = types.map((t) => rowOf(t).netDeny!);
  // The kernel compares the destination (connect, sendmsg) or the local address bound (bind):
  // the server end either way; the other end is not what it sees.
  const allBind = hooks.every((h) => h === 'bind');
  const anyBind = hooks.includes('bind');
  const wrong = a.netFields?.find(
    (f) => (f.startsWith('fd.l') && !allBind) || (f.startsWith('fd.r') && anyBind),
  );
  if (wrong !== undefined)
    throw new NotExact(
      `${wrong} is not the end the kernel checks on ${types.join(', ')} (use fd.sip, fd.sport)`,
    );
  const policy: NetPolicy = {
    kind: 'net',
    hooks,
    addrs: a.ip ?? [],
    port: a.port,
    proto: a.proto,
    uid: a.uid,
  };
  const when = allBind
    ? 'before the address is bound'
    : anyBind
      ? 'before the call'
      : 'before the packet leaves';
  const how = `EPERM from the cgroup ${hooks.join('/')} program ${when}`;
  return { policy, how, class: 'kernel-deny' };
}

/** The event types a rule names: Falco's execveat is vigil's execve (both reach sched_process_exec). */
function eventTypes(names: string[]): EventType[] {
  return [...new Set(names.map((t) => (EXEC_ALIASES.has(t) ? 'execve' : t)))] as EventType[];
}

/** The plan for one rule with an action (the caller skips rules without one). */
export function planRule(
  rule: Pick<CompiledRule, 'name' | 'action' | 'condition'> & Partial<Pick<CompiledRule, 'ast'>>,
): EnforcementPlan {
  const action = rule.action!;
  try {
    const atoms = collect(rule.ast?.expr ?? parseCondition(rule.condition, {}), rule.ast?.ctx);
    if (!atoms.types) throw new NotExact('has no evt.type (the kernel acts per event type)');
    const types = eventTypes(atoms.types);
    // (a name that is no event type has neither)
    const isNet = types.every((t) => isEventType(t) && rowOf(t).netDeny !== undefined);
    const isRec = types.every((t) => RECORD_KILL_TYPES.has(t));
    if (atoms.execOnly !== undefined && types.some((t) => t !== 'execve'))
      throw new NotExact(`${atoms.execOnly} is known to the kernel at exec only`);
    let out: { policy: KernelPolicy; how: string; class: EnforcementClass };
    if (isNet) out = netPolicy(action, types, atoms);
    else if (isRec) out = stringPolicy(action, types, atoms);
    else throw new NotExact(`evt.type ${types.join(', ')}: no enforcing probe for some of these types`);
    return { rule: rule.name, mode: 'kernel', action, class: out.class, how: out.how, policy: out.policy };
  } catch (err) {
    if (!(err instanceof NotExact)) throw err;
    return {
      rule: rule.name,
      mode: 'userspace',
      action,
      class: 'userspace-kill',
      why: `condition ${err.message}`,
    };
  }
}

/** Plans of every enabled rule that has an action, in rule order. */
export function planRules(rules: readonly CompiledRule[]): EnforcementPlan[] {
  return rules.filter((r) => r.action !== undefined && r.enabled).map(planRule);
}
