/**
 * From a rule's condition to what the kernel can check by itself, or the reason it cannot.
 *
 * The condition text a CompiledRule keeps is re-parsed here (macros stay references, which is
 * why a rule using a macro or a named list falls back: the kernel path takes only atoms written
 * in the rule). A rule is compiled to the kernel only when its whole condition is a conjunction
 * of atoms the kernel checks exactly, so the kernel never acts more broadly than the rule:
 *   evt.type = T | evt.type in (...)                       which probe checks it (required)
 *   proc.name = V | in (...)                               comm, any kernel-checked event type
 *   proc.exepath = V | in (...)                            exe path walked at exec (execve only)
 *   fd.name = V | in (...)                                 file family: the path as passed
 *   user.uid = N                                           real uid
 *   fd.sip/fd.rip = IP, fd.sport/fd.rport = N, fd.l4proto = tcp|udp   connect/sendto (deny)
 * Everything else (negations, or, other fields, other operators) makes the rule a user-space one.
 */
import { isIP } from 'node:net';
import { FILE_EVENT_TYPES, type EventType } from '../event/types.js';
import type { CheckExpr, Expr, ValueExpr } from '../engine/condition/ast.js';
import { parseCondition } from '../engine/condition/parse.js';
import type { CompiledRule } from '../engine/rules/compile.js';

/** Event types whose records pass through vg_enforce_rec (sched_exec and the file family). */
export const RECORD_KILL_TYPES: ReadonlySet<EventType> = new Set<EventType>(['execve', ...FILE_EVENT_TYPES]);
/** Event types the cgroup programs deny, and the hook that checks them. */
export const NET_DENY_HOOK: Partial<Record<EventType, 'connect' | 'sendmsg'>> = {
  connect: 'connect',
  sendto: 'sendmsg',
};
/** The BPF LSM hook that denies a path on each event type (bpf/lsm/deny.bpf.c). */
const LSM_HOOK_OF: Partial<Record<EventType, string>> = {
  execve: 'bprm_check_security',
  open: 'file_open',
  openat: 'file_open',
  openat2: 'file_open',
  unlink: 'path_unlink',
  unlinkat: 'path_unlink',
  rename: 'path_rename',
  renameat: 'path_rename',
  renameat2: 'path_rename',
};
/** Strings the kernel compares are shorter than this (VG_ENF_VAL_MAX). */
export const KERNEL_STRING_MAX = 256;
/** A rule expanding to more policy entries than this is left to user space. */
const MAX_ENTRIES_PER_RULE = 256;

export interface StringPolicy {
  kind: 'string';
  types: EventType[];
  field: 'comm' | 'str0';
  values: string[];
  uid: number | undefined;
}

export interface NetPolicy {
  kind: 'net';
  hooks: ('connect' | 'sendmsg')[];
  addrs: string[]; // empty: any address
  port: number | undefined;
  proto: 'tcp' | 'udp' | undefined;
  uid: number | undefined;
}

export type KernelPolicy = StringPolicy | NetPolicy;

/** How one rule's action is carried out. */
export type EnforcementPlan =
  | { rule: string; mode: 'kernel'; action: 'kill' | 'deny'; how: string; policy: KernelPolicy }
  | { rule: string; mode: 'userspace'; action: 'kill' | 'deny'; why: string };

interface Atoms {
  types?: string[];
  comm?: string[];
  /** Unquoted items of `proc.name in (...)`: each may name a list, which this parse cannot expand. */
  commBare?: string[];
  exepath?: string[];
  fdname?: string[];
  uid?: number;
  ip?: string[];
  port?: number;
  proto?: 'tcp' | 'udp';
}

class NotExact extends Error {}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.children.flatMap(conjuncts) : [e];
}

function literals(c: CheckExpr): string[] {
  const r = c.right;
  if (c.op === '=' || c.op === '==') {
    if (r?.kind !== 'value') throw new NotExact(`${atomText(c)}: the right-hand side is not a literal`);
    return [r.value];
  }
  if (c.op === 'in') {
    if (r?.kind !== 'list')
      throw new NotExact(`${atomText(c)}: a named list (the kernel path takes inline values)`);
    return r.items.map((i: ValueExpr) => i.value);
  }
  throw new NotExact(`${atomText(c)}: operator '${c.op}' (the kernel compares exact values only)`);
}

function atomText(c: CheckExpr): string {
  const name = c.left.kind === 'field' ? c.left.name : `${c.left.transformer}(...)`;
  return `${name} ${c.op}`;
}

function once<K extends keyof Atoms>(atoms: Atoms, key: K, value: Atoms[K], c: CheckExpr): void {
  if (atoms[key] !== undefined) throw new NotExact(`${atomText(c)} appears twice`);
  atoms[key] = value;
}

function collect(expr: Expr): Atoms {
  const atoms: Atoms = {};
  for (const e of conjuncts(expr)) {
    if (e.kind === 'macro')
      throw new NotExact(`uses macro '${e.name}' (the kernel path takes atoms written in the rule)`);
    if (e.kind !== 'check')
      throw new NotExact(`has '${e.kind}' (the kernel checks a conjunction of exact atoms)`);
    if (e.left.kind !== 'field' || e.left.arg !== undefined)
      throw new NotExact(`${atomText(e)}: a transformed or indexed field`);
    const vals = (): string[] => literals(e);
    switch (e.left.name) {
      case 'evt.type':
        once(atoms, 'types', vals(), e);
        break;
      case 'proc.name':
        once(atoms, 'comm', vals(), e);
        if (e.op === 'in' && e.right?.kind === 'list')
          atoms.commBare = e.right.items.filter((i) => !i.quoted).map((i) => i.value);
        break;
      case 'proc.exepath':
        once(atoms, 'exepath', vals(), e);
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
      case 'fd.rip': {
        const v = vals();
        for (const ip of v)
          if (isIP(ip) === 0) throw new NotExact(`${atomText(e)}: '${ip}' is not an IP address`);
        once(atoms, 'ip', v, e);
        break;
      }
      case 'fd.sport':
      case 'fd.rport': {
        const v = vals();
        if (v.length !== 1 || !/^\d+$/.test(v[0]) || Number(v[0]) > 65535)
          throw new NotExact(`${atomText(e)}: one port number`);
        once(atoms, 'port', Number(v[0]), e);
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

function stringPolicy(
  action: 'kill' | 'deny',
  types: EventType[],
  a: Atoms,
): { policy: KernelPolicy; how: string } {
  const fields = [a.comm && 'proc.name', a.exepath && 'proc.exepath', a.fdname && 'fd.name'].filter(Boolean);
  if (fields.length !== 1)
    throw new NotExact(
      fields.length === 0
        ? 'names no proc.name, proc.exepath or fd.name (the kernel would act on every process)'
        : `combines ${fields.join(' and ')} (the kernel compares one string per rule)`,
    );
  if (a.ip || a.port !== undefined || a.proto)
    throw new NotExact('mixes network fields with a process or file one');
  let field: 'comm' | 'str0';
  let values: string[];
  if (a.comm) {
    field = 'comm';
    values = a.comm;
    const long = values.find((v) => Buffer.byteLength(v) > 15);
    if (long !== undefined) throw new NotExact(`proc.name '${long}' is longer than a comm (15 bytes)`);
    const bare = a.commBare?.find((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v));
    if (bare !== undefined)
      throw new NotExact(`proc.name in (... ${bare} ...): '${bare}' may name a list (quote literal names)`);
  } else if (a.exepath) {
    if (types.some((t) => t !== 'execve'))
      throw new NotExact('proc.exepath is checked by the kernel at exec only');
    field = 'str0';
    values = a.exepath;
  } else {
    if (types.some((t) => t === 'execve')) throw new NotExact('fd.name on execve');
    field = 'str0';
    values = a.fdname!;
  }
  for (const v of values) {
    if (field === 'str0' && !v.startsWith('/')) throw new NotExact(`'${v}' is not an absolute path`);
    if (Buffer.byteLength(v) >= KERNEL_STRING_MAX)
      throw new NotExact(`'${v.slice(0, 32)}...' is too long for the kernel`);
  }
  if (values.length * types.length > MAX_ENTRIES_PER_RULE)
    throw new NotExact('expands to too many policy entries');
  const at =
    types.includes('execve') && types.length === 1
      ? 'at exec, before the new program runs'
      : 'when the syscall returns';
  const kill = `SIGKILL from the probe ${at}`;
  const hooks = [...new Set(types.map((t) => LSM_HOOK_OF[t]))];
  const lsm = field === 'str0' && hooks.every((h) => h !== undefined);
  const how =
    action === 'kill'
      ? kill
      : lsm
        ? `EPERM from the BPF LSM hook ${hooks.join('/')} before the call; where the kernel has no BPF LSM, ${kill} (deny falls back to kill)`
        : `${kill} (deny falls back to kill: no BPF LSM hook checks this)`;
  return { policy: { kind: 'string', types, field, values, uid: a.uid }, how };
}

function netPolicy(
  action: 'kill' | 'deny',
  types: EventType[],
  a: Atoms,
): { policy: KernelPolicy; how: string } {
  if (action !== 'deny')
    throw new NotExact('kill on network events is done from user space (use action: deny)');
  if (a.comm || a.exepath || a.fdname) throw new NotExact('mixes network fields with a process or file one');
  if (!a.ip && a.port === undefined)
    throw new NotExact('names no address or port (the kernel would deny every connection)');
  const hooks = types.map((t) => NET_DENY_HOOK[t]!);
  const policy: NetPolicy = {
    kind: 'net',
    hooks,
    addrs: a.ip ?? [],
    port: a.port,
    proto: a.proto,
    uid: a.uid,
  };
  return { policy, how: `EPERM from the cgroup ${hooks.join('/')} program before the packet leaves` };
}

/** The plan for one rule with an action (the caller skips rules without one). */
export function planRule(rule: Pick<CompiledRule, 'name' | 'action' | 'condition'>): EnforcementPlan {
  const action = rule.action!;
  try {
    const atoms = collect(parseCondition(rule.condition, {}));
    if (!atoms.types) throw new NotExact('has no evt.type (the kernel acts per event type)');
    const types = atoms.types as EventType[];
    const isNet = types.every((t) => NET_DENY_HOOK[t] !== undefined);
    const isRec = types.every((t) => RECORD_KILL_TYPES.has(t));
    let out: { policy: KernelPolicy; how: string };
    if (isNet) out = netPolicy(action, types, atoms);
    else if (isRec) out = stringPolicy(action, types, atoms);
    else throw new NotExact(`evt.type ${types.join(', ')}: no enforcing probe for some of these types`);
    return { rule: rule.name, mode: 'kernel', action, how: out.how, policy: out.policy };
  } catch (err) {
    if (!(err instanceof NotExact)) throw err;
    return { rule: rule.name, mode: 'userspace', action, why: `condition ${err.message}` };
  }
}

/** Plans of every enabled rule that has an action, in rule order. */
export function planRules(rules: readonly CompiledRule[]): EnforcementPlan[] {
  return rules.filter((r) => r.action !== undefined && r.enabled).map(planRule);
}
