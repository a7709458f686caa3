/**
 * Writes an open-filter plan (open-filter-plan.ts; src/plan/open-filter.ts derives it) into the
 * sensor object's maps (bpf/tracepoints/vg_open_filter.h) with a generation swap: the entries and
 * the slot of generation gen + 1 first, then one write of vg_of_cfg makes it current, then the
 * previous generation's trie entries are deleted. A program always sees one whole generation.
 */
import type { BpfObject } from '../kernel/bpf-object.js';
import type { FileIdentity } from './file-identities.js';
import { BLOOM_BITS, KEY_DATA, type FlagNeed, type OpenFilterPlan } from './open-filter-plan.js';

const KEY_SIZE = 4 + KEY_DATA;
/** struct vg_of_ident_key: ino (u64), dev (u32), padding. */
const IDENT_KEY_SIZE = 16;
const NEED_SIZE = 8;
const BLOOM_BYTES = BLOOM_BITS / 8;
/** on, flags, the two needs, then the component, prefix and suffix bloom bitmaps. */
const SLOT_SIZE = 24 + 3 * BLOOM_BYTES;
const PREFIX_ALWAYS = 1;
const SUFFIX_ALWAYS = 2;
const ZERO = new Uint8Array(4);

export interface OpenFilterStats {
  /** Opens dropped in the kernel, and opens reported (judged or not), summed over CPUs. */
  filtered: number;
  passed: number;
}

function needBytes(n: FlagNeed | null, into = Buffer.alloc(NEED_SIZE), at = 0): Buffer {
  if (n === null) return into;
  into.writeUInt8(n.acc, at);
  into.writeUInt8(n.success ? 1 : 0, at + 1);
  into.writeUInt32LE(n.bits >>> 0, at + 4);
  return into;
}

function trieKey(gen: number, bytes: Buffer): Buffer {
  const k = Buffer.alloc(KEY_SIZE);
  k.writeUInt32LE((1 + bytes.length) * 8, 0);
  k.writeUInt8(gen & 0xff, 4);
  bytes.copy(k, 5);
  return k;
}

/** FNV-1a over the bytes of s, as vg_of_step hashes components and paths (the full 32 bits). */
export function fnv1a(s: string): number {
  let h = 2166136261;
  for (const c of Buffer.from(s, 'latin1')) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h;
}

function setBit(v: Buffer, at: number, bit: number): void {
  v[at + (bit >> 3)] |= 1 << (bit & 7);
}

/** Sets the bit of s once per access mode the need allows (VG_OF_ACC_MIX). */
function setAccBits(v: Buffer, at: number, s: string, need: FlagNeed): void {
  const h = fnv1a(s);
  for (let acc = 0; acc < 4; acc++) {
    if ((need.acc & (1 << acc)) !== 0) setBit(v, at, (h + Math.imul(acc, 0x9e3779b9)) & (BLOOM_BITS - 1));
  }
}

function slotBytes(plan: OpenFilterPlan): Buffer {
  const v = Buffer.alloc(SLOT_SIZE);
  let flags = 0;
  v.writeUInt32LE(plan.on ? 1 : 0, 0);
  needBytes(plan.anyNeed, v, 8);
  needBytes(plan.componentNeed, v, 16);
  for (const c of plan.components) setBit(v, 24, fnv1a(c) & (BLOOM_BITS - 1));
  // A prefix is looked up in the kernel only when the path has one of these '/'-ended prefixes.
  for (const [k, need] of plan.prefixes) {
    const cut = k.endsWith('\0') ? k : k.slice(0, k.lastIndexOf('/') + 1);
    if (cut.length <= 1) flags |= PREFIX_ALWAYS;
    else setAccBits(v, 24 + BLOOM_BYTES, cut, need);
  }
  for (const [k, need] of plan.suffixes) {
    if (k.length < 3) flags |= SUFFIX_ALWAYS;
    else setAccBits(v, 24 + 2 * BLOOM_BYTES, k.slice(-3), need);
  }
  v.writeUInt32LE(flags, 4);
  return v;
}

export class OpenFilterMaps {
  private gen = 0;
  private dirs = 0;

  constructor(private readonly object: BpfObject) {}

  /** Makes this plan the one the probes use (see the file comment). */
  write(plan: OpenFilterPlan): void {
    const next = (this.gen + 1) >>> 0;
    if (plan.on) {
      for (const [k, need] of plan.prefixes) {
        this.object.mapUpdate('vg_of_prefix', trieKey(next, Buffer.from(k, 'latin1')), needBytes(need));
      }
      for (const [k, need] of plan.suffixes) {
        const reversed = Buffer.from(k, 'latin1').reverse();
        this.object.mapUpdate('vg_of_suffix', trieKey(next, reversed), needBytes(need));
      }
    }
    const slot = Buffer.alloc(4);
    slot.writeUInt32LE(next & 1);
    this.object.mapUpdate('vg_of_slot', slot, slotBytes(plan));
    this.gen = next;
    this.writeCfg();
    for (const map of ['vg_of_prefix', 'vg_of_suffix']) {
      for (const k of this.object.mapKeys(map)) if (k[4] !== (next & 0xff)) this.object.mapDelete(map, k);
    }
  }

  /**
   * Makes these the files reported by identity (vg_of_ident): new and changed entries first, then
   * the ones gone. One entry at a time is atomic; no generation is needed, since an entry only
   * lets more opens through.
   */
  writeIdentities(ids: readonly FileIdentity[]): void {
    const keep = new Set<string>();
    const dirs = ids.filter((id) => id.dir).length;
    // A directory entry is written before the ancestor walk is turned on, and after it is off.
    if (dirs === 0 && this.dirs !== 0) {
      this.dirs = 0;
      this.writeCfg();
    }
    for (const id of ids) {
      const k = Buffer.alloc(IDENT_KEY_SIZE);
      k.writeBigUInt64LE(BigInt(id.ino), 0);
      k.writeUInt32LE(id.dev >>> 0, 8);
      keep.add(k.toString('hex'));
      this.object.mapUpdate('vg_of_ident', k, needBytes(id.need));
    }
    for (const k of this.object.mapKeys('vg_of_ident')) {
      if (!keep.has(Buffer.from(k).toString('hex'))) this.object.mapDelete('vg_of_ident', k);
    }
    if (dirs !== this.dirs) {
      this.dirs = dirs;
      this.writeCfg();
    }
  }

  /** vg_of_cfg: the current generation, and how many directories vg_of_ident holds. */
  private writeCfg(): void {
    const cfg = Buffer.alloc(8);
    cfg.writeUInt32LE(this.gen, 0);
    cfg.writeUInt32LE(this.dirs, 4);
    this.object.mapUpdate('vg_of_cfg', ZERO, cfg);
  }

  stats(): OpenFilterStats {
    const s = { filtered: 0, passed: 0 };
    for (const v of this.object.mapLookupPercpu('vg_of_stats', ZERO) ?? []) {
      s.filtered += Number(v.readBigUInt64LE(0));
      s.passed += Number(v.readBigUInt64LE(8));
    }
    return s;
  }
}
