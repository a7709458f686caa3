/**
 * Builds wire records from the layout table, for decoder tests and
 * benchmarks that need records without a kernel.
 */
import { ARRAY_LENGTHS, LAYOUT, type StructLayout } from '../../src/kernel/layout.js';
import { rowOf, type EventType } from '../../src/event/table.js';

type Value = number | bigint | string | readonly number[] | { [k: string]: Value };
type StructName = keyof typeof LAYOUT;

const PAYLOAD: Record<string, StructName> = {
  exec: 'vg_exec',
  fork: 'vg_fork',
  exit: 'vg_exit',
  proc_op: 'vg_proc_op',
  cred: 'vg_cred',
  file: 'vg_file',
  net: 'vg_net',
  dup: 'vg_dup',
  signal: 'vg_signal',
};

function widths(l: StructLayout): Map<string, number> {
  const sorted = Object.entries(l.fields).sort((a, b) => a[1] - b[1]);
  return new Map(sorted.map(([n, o], i) => [n, (sorted[i + 1]?.[1] ?? l.size) - o]));
}

function put(dv: DataView, o: number, width: number, v: number | bigint): void {
  if (width === 8) dv.setBigUint64(o, BigInt.asUintN(64, BigInt(v)), true);
  else if (width === 4) dv.setUint32(o, Number(v) >>> 0, true);
  else if (width === 2) dv.setUint16(o, Number(v) & 0xffff, true);
  else dv.setUint8(o, Number(v) & 0xff);
}

function writeStruct(buf: Buffer, at: number, name: StructName, values: Record<string, Value>): void {
  const l: StructLayout = LAYOUT[name];
  const w = widths(l);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const [field, v] of Object.entries(values)) {
    const off = l.fields[field];
    if (off === undefined) throw new Error(`${name} has no field ${field}`);
    const width = w.get(field)!;
    if (typeof v === 'string') {
      buf.write(v, at + off, width, 'latin1');
    } else if (Array.isArray(v)) {
      const n = ARRAY_LENGTHS[`${name}.${field}` as keyof typeof ARRAY_LENGTHS];
      const ew = width / n;
      v.forEach((x, i) => put(dv, at + off + i * ew, ew, x));
    } else if (typeof v === 'object') {
      writeStruct(buf, at + off, 'vg_sockaddr', v as { [k: string]: Value }); // the only nested struct
    } else {
      put(dv, at + off, width, v);
    }
  }
}

export interface RecordSpec {
  type: EventType;
  hdr?: Record<string, Value>;
  payload?: Record<string, Value>;
  strings?: (string | Buffer)[];
}

/** One record: header, the family's payload, then the strings (lengths filled in). */
export function buildRecord(spec: RecordSpec): Buffer {
  const w = rowOf(spec.type);
  const pname = PAYLOAD[w.family];
  const strs = (spec.strings ?? []).map((s) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s));
  const fixed = LAYOUT.vg_hdr.size + LAYOUT[pname].size;
  const size = fixed + strs.reduce((a, s) => a + s.length, 0);
  const buf = Buffer.alloc(size);
  writeStruct(buf, 0, 'vg_hdr', {
    pid: 1,
    tid: 1,
    ppid: 0,
    loginuid: 0xffffffff,
    ...spec.hdr,
    size,
    type: w.value,
  });
  const payload: Record<string, Value> = { ...spec.payload };
  if ('str_len' in LAYOUT[pname].fields) payload.str_len = strs.map((s) => s.length);
  writeStruct(buf, LAYOUT.vg_hdr.size, pname, payload);
  let o = fixed;
  for (const s of strs) {
    s.copy(buf, o);
    o += s.length;
  }
  return buf;
}

/** Frames records as the addon delivers them: [u32 len][u32 0][record][pad to 8]. */
export function frame(records: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(r.length, 0);
    parts.push(h, r, Buffer.alloc((8 - (r.length % 8)) % 8));
  }
  return Buffer.concat(parts);
}

/** A vg_sockaddr value for an IPv4 address. */
export function ipv4Addr(ip: string, port: number): { [k: string]: Value } {
  return { addr: ip.split('.').map(Number), family: 2, port };
}
