/**
 * The credentials family (bpf/tracepoints/cred.bpf.c, struct vg_cred): the ids a set*id call asked
 * for, named as the event table names its arguments, and capset's capability sets after the call.
 */
import { EVENT_ROWS, type EventRow } from '../../event/table.js';
import type { EventArgs, VigilEvent } from '../../event/types.js';
import { LAYOUT } from '../../kernel/layout.js';
import { renderRes } from '../flags.js';
import type { RecordReader } from './decoder.js';

const CR = LAYOUT.vg_cred.fields;

/** The ids a set*id call passes (vg_cred.id[]), by evt.arg name in the call's order; capset has none. */
const CRED_ARGS: Partial<Record<string, readonly string[]>> = Object.fromEntries(
  EVENT_ROWS.filter((r) => r.family === 'cred' && r.type !== 'capset').map((r) => [
    r.type,
    r.args.filter((a) => a !== 'res'),
  ]),
);

export function decodeCred(r: RecordReader, w: EventRow, rec: number, p: number): VigilEvent {
  const ev = r.event(w, rec);
  const dv = r.dv;
  const id = (i: number): number => dv.getInt32(p + CR.id + 4 * i, true);
  const args: EventArgs = {};
  const names = CRED_ARGS[w.type];
  if (names) for (let i = 0; i < names.length; i++) args[names[i]] = id(i);
  const raw: Record<string, number> = { ...(args as Record<string, number>) };
  if (w.type === 'capset') {
    raw.cap_effective = r.u64(p + CR.cap_effective);
    raw.cap_permitted = r.u64(p + CR.cap_permitted);
    raw.cap_inheritable = r.u64(p + CR.cap_inheritable);
    Object.assign(args, raw);
  }
  args.res = renderRes(ev.ret);
  raw.res = ev.ret;
  ev.args = args;
  ev.rawargs = raw;
  return ev;
}
