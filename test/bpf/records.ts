/**
 * Minimal raw reads of sensor records for the BPF tests: header fields, a few payload fields and
 * the strings, at the offsets of src/kernel/layout.ts (itself checked against the object's BTF).
 * The tests look at what the kernel side wrote, before any decoding or enrichment.
 */
import { LAYOUT, WIRE_BY_VALUE } from '../../src/kernel/layout.js';
import type { Family } from '../../src/event/table.js';

const H = LAYOUT.vg_hdr.fields;
export const HDR_SIZE = LAYOUT.vg_hdr.size;

/** Where each family's str_len[] sits in its payload, and how many strings it has. */
const STRINGS: Partial<Record<Family, { payload: number; lens: number; count: number }>> = {
  exec: { payload: LAYOUT.vg_exec.size, lens: LAYOUT.vg_exec.fields.str_len, count: 5 },
  proc_op: { payload: LAYOUT.vg_proc_op.size, lens: LAYOUT.vg_proc_op.fields.str_len, count: 2 },
  file: { payload: LAYOUT.vg_file.size, lens: LAYOUT.vg_file.fields.str_len, count: 6 },
  net: { payload: LAYOUT.vg_net.size, lens: LAYOUT.vg_net.fields.str_len, count: 2 },
  dup: { payload: LAYOUT.vg_dup.size, lens: LAYOUT.vg_dup.fields.str_len, count: 1 },
};

export interface RawRecord {
  buf: Buffer;
  type: number;
  family: Family | undefined;
  size: number;
  retval: bigint;
  flags: number;
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  loginuid: number;
  mntNs: number;
  pidNs: number;
  cgroupId: bigint;
  truncated: number;
  comm: string;
  /** The payload's strings as latin1 (raw bytes), in str_len[] order. */
  strings: string[];
}

export function parseRecord(buf: Buffer): RawRecord {
  const type = buf.readUInt16LE(H.type);
  const family = WIRE_BY_VALUE[type]?.family;
  const strings: string[] = [];
  const s = family === undefined ? undefined : STRINGS[family];
  if (s) {
    let at = HDR_SIZE + s.payload;
    for (let i = 0; i < s.count; i++) {
      const len = buf.readUInt16LE(HDR_SIZE + s.lens + 2 * i);
      strings.push(buf.toString('latin1', at, at + len));
      at += len;
    }
  }
  const comm = buf.toString('latin1', H.comm, H.comm + 16);
  const nul = comm.indexOf('\0');
  return {
    buf,
    type,
    family,
    size: buf.readUInt32LE(H.size),
    retval: buf.readBigInt64LE(H.retval),
    flags: buf.readUInt16LE(H.flags),
    pid: buf.readUInt32LE(H.pid),
    tid: buf.readUInt32LE(H.tid),
    ppid: buf.readUInt32LE(H.ppid),
    uid: buf.readUInt32LE(H.uid),
    loginuid: buf.readUInt32LE(H.loginuid),
    mntNs: buf.readUInt32LE(H.mnt_ns),
    pidNs: buf.readUInt32LE(H.pid_ns),
    cgroupId: buf.readBigUInt64LE(H.cgroup_id),
    truncated: buf.readUInt32LE(H.truncated),
    comm: nul < 0 ? comm : comm.slice(0, nul),
    strings,
  };
}

/** A payload field (offset within its struct) of the record. */
export function payloadU32(r: RawRecord, offset: number): number {
  return r.buf.readUInt32LE(HDR_SIZE + offset);
}

export function payloadI32(r: RawRecord, offset: number): number {
  return r.buf.readInt32LE(HDR_SIZE + offset);
}

export function payloadU64(r: RawRecord, offset: number): bigint {
  return r.buf.readBigUInt64LE(HDR_SIZE + offset);
}

export function payloadU16(r: RawRecord, offset: number): number {
  return r.buf.readUInt16LE(HDR_SIZE + offset);
}

/** A struct vg_sockaddr at `offset` in the payload, IPv4 only: "a.b.c.d:port". */
export function ipv4End(r: RawRecord, offset: number): string {
  const at = HDR_SIZE + offset;
  const a = LAYOUT.vg_sockaddr.fields;
  const addr = [...r.buf.subarray(at + a.addr, at + a.addr + 4)].join('.');
  return `${r.buf.readUInt16LE(at + a.family)}/${addr}:${r.buf.readUInt16LE(at + a.port)}`;
}
