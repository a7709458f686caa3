/**
 * The kernel side of enforcement as user space sees it: build/bpf/cgroup.bpf.o, which defines the
 * policy maps (bpf/enforce/vg_enforce_maps.h) and holds the cgroup deny programs. It is loaded
 * before the sensor, whose tracepoint programs reuse its maps, so a sensor restart keeps the policy.
 * Writes are a generation swap: the new policy goes in under gen + 1, one write of vg_enf_cfg
 * makes it current, then the previous generation's entries are deleted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../config/paths.js';
import { BpfObject } from '../kernel/bpf-object.js';
import type { ExeIdentity } from './exe-identity.js';
import { markOwnObjects } from './own-objects.js';
import { WIRE_VALUE_BY_TYPE } from '../kernel/layout.js';
import { rowOf, type LsmHook, type NetDenyHook } from '../event/table.js';
import type { KernelPolicy } from '../plan/enforcement.js';

/** The enforcement maps; the sensor opens its object with these reused. */
export const ENFORCE_MAPS = [
  'vg_enf_cfg',
  'vg_enf_policy',
  'vg_enf_net',
  'vg_enf_keybuf',
  'vg_enf_stats',
  'vg_enf_allow_exe',
  'vg_enf_allow_uid',
  'vg_enf_prefix',
  'vg_enf_text',
] as const;

/** The LSM object's maps the sensor reuses: denials' records go to the ring the sensor reads. */
export const LSM_SHARED_MAPS = ['vg_events', 'vg_stats'] as const;

const VAL_MAX = 256;
const KEY_SIZE = 8 + VAL_MAX;
const NET_KEY_SIZE = 28;
const ANY_UID = 0xffffffff;
/** enum vg_enf_field (bpf/enforce/vg_enforce_maps.h): hash map entries. */
const FIELD = { str0: 1, comm: 2, argv0: 3, pcomm: 4, pexe: 5 } as const;
/** The LPM trie's fields: [prefix (exact: with the NUL), contains]. */
const TEXT_FIELD = { cmdline: [6, 7], args: [8, 9] } as const;
/** vg_enf_pfx_key: prefixlen, gen, type, field, pad, val[248]. */
const PFX_VAL = 248;
const PFX_KEY_SIZE = 12 + PFX_VAL;
/** vg_enf_cfg.fields (VG_ENF_USE_*). */
const USE = { pexe: 1, cmdline: [2, 4], args: [8, 16] } as const;
const ACTION = { kill: 1, deny: 2 } as const;
const HOOK = { connect: 1, sendmsg: 2, bind: 3 } as const;
const PROTO = { tcp: 6, udp: 17 } as const;
const CGROUP_PROGRAMS: Record<NetDenyHook, string[]> = {
  connect: ['vg_deny_connect4', 'vg_deny_connect6'],
  sendmsg: ['vg_deny_sendmsg4', 'vg_deny_sendmsg6'],
  bind: ['vg_deny_bind4', 'vg_deny_bind6'],
};

export interface PolicyEntry {
  ruleId: number;
  action: 'kill' | 'deny';
  policy: KernelPolicy;
}

export interface EnforceStats {
  kills: number;
  denies: number;
  protect: number;
}

export function defaultCgroupObject(): string {
  return join(packageRoot(), 'build/bpf/cgroup.bpf.o');
}

function ruleValue(id: number, action: 'kill' | 'deny', uid: number | undefined): Buffer {
  const v = Buffer.alloc(16);
  v.writeUInt32LE(id, 0);
  v.writeUInt32LE(ACTION[action], 4);
  v.writeUInt32LE(uid ?? ANY_UID, 8);
  return v;
}

type StringPolicy = KernelPolicy & { kind: 'string' };

function isText(p: StringPolicy): p is StringPolicy & { field: 'cmdline' | 'args' } {
  return p.field === 'cmdline' || p.field === 'args';
}

/** LPM trie keys of a command-line policy: an exact value is a prefix that includes its NUL. */
function prefixKeys(gen: number, p: StringPolicy & { field: 'cmdline' | 'args' }): Buffer[] {
  const [pfx, sub] = TEXT_FIELD[p.field];
  return p.values.map((v) => {
    const k = Buffer.alloc(PFX_KEY_SIZE);
    const n = k.write(v, 12, PFX_VAL - 1, 'latin1') + (p.match === 'exact' ? 1 : 0);
    k.writeUInt32LE((8 + n) * 8, 0);
    k.writeUInt32LE(gen, 4);
    k.writeUInt16LE(WIRE_VALUE_BY_TYPE.get('execve')!, 8);
    k.writeUInt8(p.match === 'contains' ? sub : pfx, 10);
    return k;
  });
}

function stringKeys(gen: number, p: StringPolicy): Buffer[] {
  const keys: Buffer[] = [];
  if (isText(p)) return prefixKeys(gen, p);
  for (const t of p.types) {
    for (const s of p.values) {
      const k = Buffer.alloc(KEY_SIZE);
      k.writeUInt32LE(gen, 0);
      k.writeUInt16LE(WIRE_VALUE_BY_TYPE.get(t)!, 4);
      k.writeUInt8(FIELD[p.field as keyof typeof FIELD], 6);
      k.write(s, 8, VAL_MAX - 1, 'utf8');
      keys.push(k);
    }
  }
  return keys;
}

function addrBytes(ip: string): { family: number; bytes: Buffer } {
  if (ip.includes(':')) {
    const b = Buffer.alloc(16);
    const [head, tail] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return { family: 6, bytes: b };
  }
  return { family: 4, bytes: Buffer.from(ip.split('.').map(Number)) };
}

function netKeys(gen: number, p: KernelPolicy & { kind: 'net' }): Buffer[] {
  const keys: Buffer[] = [];
  const addrs =
    p.addrs.length > 0
      ? p.addrs.map(addrBytes)
      : [4, 6].map((family) => ({ family, bytes: Buffer.alloc(0) }));
  for (const hook of p.hooks) {
    for (const a of addrs) {
      const k = Buffer.alloc(NET_KEY_SIZE);
      k.writeUInt32LE(gen, 0);
      k.writeUInt8(HOOK[hook], 4);
      k.writeUInt8(p.proto ? PROTO[p.proto] : 0, 5);
      k.writeUInt8(a.family, 6);
      k.writeUInt16LE(p.port ?? 0, 8);
      a.bytes.copy(k, 12);
      keys.push(k);
    }
  }
  return keys;
}

/** vg_enf_cfg.lsm_hooks (VG_ENF_LSM_*): which LSM path hooks have deny entries to check. */
const LSM_HOOK_BIT: Record<LsmHook, number> = {
  bprm_check_security: 1,
  file_open: 2,
  path_unlink: 4,
  path_rename: 8,
};

/** vg_enf_cfg.fields: the costly exec checks some entry needs. */
function usedFields(entries: readonly PolicyEntry[]): number {
  let bits = 0;
  for (const { policy: p } of entries) {
    if (p.kind !== 'string') continue;
    if (p.field === 'pexe') bits |= USE.pexe;
    if (isText(p)) bits |= USE[p.field][p.match === 'contains' ? 1 : 0];
  }
  return bits;
}

function lsmHooks(entries: readonly PolicyEntry[]): number {
  let bits = 0;
  for (const e of entries) {
    if (e.action !== 'deny' || e.policy.kind !== 'string' || e.policy.field !== 'str0') continue;
    for (const t of e.policy.types) {
      const hook = rowOf(t).lsmHook;
      if (hook !== undefined) bits |= LSM_HOOK_BIT[hook];
    }
  }
  return bits;
}

export class PolicyMaps {
  private gen = 0;
  private readonly links = new Map<string, number>();
  private lsm: BpfObject | undefined;

  private constructor(readonly object: BpfObject) {}

  /** Loads the maps and the (not yet attached) cgroup programs. Throws BpfError. */
  static open(path = defaultCgroupObject()): PolicyMaps {
    if (!existsSync(path)) throw new Error(`the enforcement object ${path} is not built (run \`make bpf\`)`);
    const object = BpfObject.open(path);
    try {
      object.load();
    } catch (err) {
      object.close();
      throw err;
    }
    return new PolicyMaps(object);
  }

  /**
   * For Sensor.start: every enforcement map shared with this object and, once the LSM programs
   * are attached, their ring buffer and counters, so their denials reach the sensor's decoder.
   */
  reuseMaps(): Record<string, BpfObject> {
    const maps: Record<string, BpfObject> = Object.fromEntries(ENFORCE_MAPS.map((m) => [m, this.object]));
    if (this.lsm) for (const m of LSM_SHARED_MAPS) maps[m] = this.lsm;
    return maps;
  }

  /** Replaces the whole policy atomically (see the file comment). */
  write(entries: readonly PolicyEntry[], enabled: boolean, agentTgid: number, lsm = false): void {
    const next = this.gen + 1;
    for (const e of entries) {
      const value = ruleValue(e.ruleId, e.action, e.policy.uid);
      if (e.policy.kind === 'string') {
        const map = isText(e.policy) ? 'vg_enf_prefix' : 'vg_enf_policy';
        for (const k of stringKeys(next, e.policy)) this.object.mapUpdate(map, k, value);
      } else {
        for (const k of netKeys(next, e.policy)) this.object.mapUpdate('vg_enf_net', k, value);
      }
    }
    this.setConfig(next, enabled, agentTgid, lsm, lsmHooks(entries), usedFields(entries));
    this.gen = next;
    // (the LPM trie's generation follows its prefix length)
    for (const [map, at] of [
      ['vg_enf_policy', 0],
      ['vg_enf_net', 0],
      ['vg_enf_prefix', 4],
    ] as const) {
      for (const k of this.object.mapKeys(map))
        if (k.readUInt32LE(at) !== next) this.object.mapDelete(map, k);
    }
  }

  private setConfig(
    gen: number,
    enabled: boolean,
    agentTgid: number,
    lsm: boolean,
    lsmHooks: number,
    fields: number,
  ): void {
    const cfg = Buffer.alloc(24);
    cfg.writeUInt32LE(gen, 0);
    cfg.writeUInt32LE(enabled ? 1 : 0, 4);
    cfg.writeUInt32LE(agentTgid, 8);
    cfg.writeUInt32LE(lsm ? 1 : 0, 12);
    cfg.writeUInt32LE(lsmHooks, 16);
    cfg.writeUInt32LE(fields, 20);
    this.object.mapUpdate('vg_enf_cfg', new Uint8Array(4), cfg);
  }

  /** The allow-list: executables by (st_dev, st_ino) (exe-identity.ts), real uids. */
  writeAllow(exes: readonly ExeIdentity[], uids: readonly number[]): void {
    const one = Buffer.alloc(4, 0);
    one.writeUInt32LE(1);
    for (const exe of exes) {
      const k = Buffer.alloc(16);
      k.writeUInt32LE(exe.dev, 0);
      k.writeBigUInt64LE(exe.ino, 8);
      this.object.mapUpdate('vg_enf_allow_exe', k, one);
    }
    for (const uid of uids) {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(uid);
      this.object.mapUpdate('vg_enf_allow_uid', k, one);
    }
  }

  /** Attaches the cgroup deny programs these hooks need to the cgroup v2 root; detaches the rest. */
  attachNet(hooks: ReadonlySet<NetDenyHook>, cgroupRoot: string): void {
    for (const [hook, programs] of Object.entries(CGROUP_PROGRAMS) as [NetDenyHook, string[]][]) {
      for (const p of programs) {
        const link = this.links.get(p);
        if (hooks.has(hook) && link === undefined)
          this.links.set(p, this.object.attach(p, { cgroupPath: cgroupRoot }));
        if (!hooks.has(hook) && link !== undefined) {
          this.object.detach(link);
          this.links.delete(p);
        }
      }
    }
  }

  attachedPrograms(): string[] {
    return [...this.links.keys()];
  }

  stats(): EnforceStats {
    const per = this.object.mapLookupPercpu('vg_enf_stats', new Uint8Array(4)) ?? [];
    const s = { kills: 0, denies: 0, protect: 0 };
    for (const b of per) {
      s.kills += Number(b.readBigUInt64LE(0));
      s.denies += Number(b.readBigUInt64LE(8));
      s.protect += Number(b.readBigUInt64LE(16));
    }
    return s;
  }

  /**
   * Loads and attaches build/bpf/lsm.bpf.o on these maps, its ring buffer `ringBytes` long (the
   * sensor's: the sensor reads this one). The enforcing programs' ids go in vg_lsm_own_progs, whose
   * links the bpf hook keeps others from detaching. Throws where the kernel refuses BPF LSM (EPERM
   * at load on our CI kernel); the caller then keeps deny-as-kill.
   */
  attachLsm(ringBytes?: number, path = join(packageRoot(), 'build/bpf/lsm.bpf.o')): void {
    const lsm = BpfObject.open(path, {
      reuseMaps: this.reuseMaps(),
      // The sensor's syscall stash is not used here: the smallest table that loads everywhere.
      mapMaxEntries: { vg_stash: 64, ...(ringBytes !== undefined ? { vg_events: ringBytes } : {}) },
    });
    try {
      lsm.load();
      const one = Buffer.alloc(4);
      one.writeUInt32LE(1);
      for (const p of [...lsm.programs(), ...this.object.programs()]) {
        if (p.id === null) continue;
        const key = Buffer.alloc(4);
        key.writeUInt32LE(p.id);
        lsm.mapUpdate('vg_lsm_own_progs', key, one);
      }
      for (const p of lsm.programs()) lsm.attach(p.name);
    } catch (err) {
      lsm.close();
      throw err;
    }
    this.lsm = lsm;
  }

  /**
   * With the LSM attached: every program and map process `pid` (the agent) holds becomes one no
   * other process may detach or write (own-objects.ts). Undefined without the LSM.
   */
  protectHeld(pid: number): ReturnType<typeof markOwnObjects> | undefined {
    return this.lsm === undefined ? undefined : markOwnObjects(this.lsm, pid);
  }

  get lsmAttached(): boolean {
    return this.lsm !== undefined;
  }

  /** Detaches every enforcing program (the object's links) and frees the maps. */
  close(): void {
    this.lsm?.close();
    this.lsm = undefined;
    this.links.clear();
    this.object.close();
  }
}
