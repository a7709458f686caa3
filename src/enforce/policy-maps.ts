/**
 * The kernel side of enforcement as user space sees it: build/bpf/cgroup.bpf.o, which defines the
 * policy maps (bpf/enforce/vg_enforce_maps.h) and holds the cgroup deny programs. It is loaded
 * before the sensor, whose tracepoint programs reuse its maps, so a sensor restart keeps the policy.
 * Writes are a generation swap: the new policy goes in under gen + 1, one write of vg_enf_cfg
 * makes it current, then the previous generation's entries are deleted.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../config/paths.js';
import { BpfObject } from '../sensor/bpf-object.js';
import { WIRE_EVENT_TYPES } from '../sensor/layout.js';
import type { KernelPolicy } from './compile.js';

/** The enforcement maps; the sensor opens its object with these reused. */
export const ENFORCE_MAPS = [
  'vg_enf_cfg',
  'vg_enf_policy',
  'vg_enf_net',
  'vg_enf_keybuf',
  'vg_enf_stats',
  'vg_enf_allow_exe',
  'vg_enf_allow_uid',
] as const;

/** The LSM object's maps the sensor reuses: denials' records go to the ring the sensor reads. */
export const LSM_SHARED_MAPS = ['vg_events', 'vg_stats'] as const;

const VAL_MAX = 256;
const KEY_SIZE = 8 + VAL_MAX;
const NET_KEY_SIZE = 28;
const ANY_UID = 0xffffffff;
const FIELD = { str0: 1, comm: 2 } as const;
const ACTION = { kill: 1, deny: 2 } as const;
const HOOK = { connect: 1, sendmsg: 2 } as const;
const PROTO = { tcp: 6, udp: 17 } as const;
const CGROUP_PROGRAMS: Record<'connect' | 'sendmsg', string[]> = {
  connect: ['vg_deny_connect4', 'vg_deny_connect6'],
  sendmsg: ['vg_deny_sendmsg4', 'vg_deny_sendmsg6'],
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

const wireType = new Map(WIRE_EVENT_TYPES.map((w) => [w.type, w.value]));

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

function stringKeys(gen: number, p: KernelPolicy & { kind: 'string' }): Buffer[] {
  const keys: Buffer[] = [];
  for (const t of p.types) {
    for (const s of p.values) {
      const k = Buffer.alloc(KEY_SIZE);
      k.writeUInt32LE(gen, 0);
      k.writeUInt16LE(wireType.get(t)!, 4);
      k.writeUInt8(FIELD[p.field], 6);
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
const LSM_HOOK_BIT: Partial<Record<string, number>> = {
  execve: 1,
  open: 2,
  openat: 2,
  openat2: 2,
  unlink: 4,
  unlinkat: 4,
  rename: 8,
  renameat: 8,
  renameat2: 8,
};

function lsmHooks(entries: readonly PolicyEntry[]): number {
  let bits = 0;
  for (const e of entries) {
    if (e.action !== 'deny' || e.policy.kind !== 'string' || e.policy.field !== 'str0') continue;
    for (const t of e.policy.types) bits |= LSM_HOOK_BIT[t] ?? 0;
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
        for (const k of stringKeys(next, e.policy)) this.object.mapUpdate('vg_enf_policy', k, value);
      } else {
        for (const k of netKeys(next, e.policy)) this.object.mapUpdate('vg_enf_net', k, value);
      }
    }
    this.setConfig(next, enabled, agentTgid, lsm, lsmHooks(entries));
    this.gen = next;
    for (const map of ['vg_enf_policy', 'vg_enf_net']) {
      for (const k of this.object.mapKeys(map)) if (k.readUInt32LE(0) !== next) this.object.mapDelete(map, k);
    }
  }

  private setConfig(gen: number, enabled: boolean, agentTgid: number, lsm: boolean, lsmHooks: number): void {
    const cfg = Buffer.alloc(20);
    cfg.writeUInt32LE(gen, 0);
    cfg.writeUInt32LE(enabled ? 1 : 0, 4);
    cfg.writeUInt32LE(agentTgid, 8);
    cfg.writeUInt32LE(lsm ? 1 : 0, 12);
    cfg.writeUInt32LE(lsmHooks, 16);
    this.object.mapUpdate('vg_enf_cfg', new Uint8Array(4), cfg);
  }

  /** The allow-list: executables by (st_dev, st_ino) (missing files are skipped), real uids. */
  writeAllow(exes: readonly string[], uids: readonly number[]): string[] {
    const skipped: string[] = [];
    const one = Buffer.alloc(4, 0);
    one.writeUInt32LE(1);
    for (const exe of exes) {
      let st;
      try {
        st = statSync(exe, { bigint: true });
      } catch {
        skipped.push(exe);
        continue;
      }
      const k = Buffer.alloc(16);
      k.writeUInt32LE(Number(st.dev), 0);
      k.writeBigUInt64LE(st.ino, 8);
      this.object.mapUpdate('vg_enf_allow_exe', k, one);
    }
    for (const uid of uids) {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(uid);
      this.object.mapUpdate('vg_enf_allow_uid', k, one);
    }
    return skipped;
  }

  /** Attaches the cgroup deny programs these hooks need to the cgroup v2 root; detaches the rest. */
  attachNet(hooks: ReadonlySet<'connect' | 'sendmsg'>, cgroupRoot: string): void {
    for (const [hook, programs] of Object.entries(CGROUP_PROGRAMS) as ['connect' | 'sendmsg', string[]][]) {
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
