/**
 * The signal family (bpf/tracepoints/signal.bpf.c, struct vg_signal: kill, tkill, tgkill,
 * pidfd_send_signal) and the target of
 * a call aimed at another process (signals, ptrace): who it reached, named from the kernel's record
 * where the kernel said, else from the pid as passed, and looked up in the process table for its
 * executable. `is_agent` marks calls aimed at the agent itself (the self-protection rule reads it).
 */
import { constants } from 'node:os';
import type { EventRow } from '../../event/table.js';
import type { EventArgs, TargetInfo, VigilEvent } from '../../event/types.js';
import { LAYOUT } from '../../kernel/layout.js';
import { renderRes } from '../flags.js';
import type { ProcessTable } from '../process-table.js';
import type { RecordReader } from './decoder.js';

const S = LAYOUT.vg_signal.fields;

const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals))
  if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);

/** Falco's evt.arg.sig: the signal's name (SIGKILL); the number when it has none (0, real-time signals). */
export function signalName(sig: number): string {
  return SIGNAL_NAMES.get(sig) ?? String(sig);
}

/**
 * The target named by a pid as the caller passed it. Only meaningful when the caller shares the
 * host's pid namespace (a pid from a container's namespace names another process on the host).
 */
export function targetByPid(
  table: ProcessTable,
  ev: VigilEvent,
  pid: number,
  tid: number,
  agentPid: number,
): TargetInfo | undefined {
  if (pid <= 0 || ev.proc.vpid !== ev.proc.pid) return undefined;
  const e = table.get(pid);
  return {
    pid,
    tid,
    name: e?.name ?? '',
    exe: e?.exe ?? '',
    cmdline: e?.cmdline ?? '',
    is_agent: pid === agentPid,
    count: 1,
  };
}

/** A signal event: its args, rawargs and target from its payload at `p`. */
export function decodeSignal(r: RecordReader, w: EventRow, rec: number, p: number): VigilEvent {
  const ev = r.event(w, rec);
  const dv = r.dv;
  const pid = dv.getInt32(p + S.pid, true);
  const tid = dv.getInt32(p + S.tid, true);
  const sig = dv.getUint32(p + S.sig, true);
  const args: EventArgs = {};
  const raw: Record<string, number> = {};
  switch (ev.type) {
    case 'kill':
      args.pid = raw.pid = pid;
      break;
    case 'tkill':
      args.tid = raw.tid = pid;
      break;
    case 'tgkill':
      args.pid = raw.pid = pid;
      args.tid = raw.tid = tid;
      break;
    default: // pidfd_send_signal
      args.pidfd = raw.pidfd = pid;
  }
  args.sig = signalName(sig);
  raw.sig = sig;
  if (ev.type === 'pidfd_send_signal') args.flags = raw.flags = dv.getUint32(p + S.flags, true);
  args.res = renderRes(ev.ret);
  raw.res = ev.ret;
  ev.args = args;
  ev.rawargs = raw;
  ev.target = signalTarget(r, ev, p, pid, tid);
  return ev;
}

/** Whom the signal reached: the agent among several, else the first task, else the pid as passed. */
function signalTarget(
  r: RecordReader,
  ev: VigilEvent,
  p: number,
  pid: number,
  tid: number,
): TargetInfo | undefined {
  const { dv, b, table, agentPid } = r;
  const tgid = dv.getUint32(p + S.target_tgid, true);
  const count = dv.getUint32(p + S.targets, true);
  if (dv.getUint16(p + S.hit_agent, true) !== 0) {
    // The agent among several (kill -1, a group): the agent is the target that matters.
    const e = table.get(agentPid);
    const name = e?.name ?? '';
    return {
      pid: agentPid,
      tid: agentPid,
      name,
      exe: e?.exe ?? '',
      cmdline: e?.cmdline ?? '',
      is_agent: true,
      count,
    };
  }
  if (tgid !== 0) {
    const e = table.get(tgid);
    const o = p + S.target_comm;
    let end = o;
    while (end < o + 16 && b[end] !== 0) end++;
    return {
      pid: tgid,
      tid: dv.getUint32(p + S.target_tid, true),
      name: b.toString('latin1', o, end),
      exe: e?.exe ?? '',
      cmdline: e?.cmdline ?? '',
      is_agent: tgid === agentPid,
      count,
    };
  }
  // No signal was generated (signal 0, refused, no such process): the pid as passed.
  switch (ev.type) {
    case 'kill':
    case 'tkill':
      return targetByPid(table, ev, pid, pid, agentPid);
    case 'tgkill':
      return targetByPid(table, ev, pid, tid, agentPid);
    default:
      return undefined;
  }
}
