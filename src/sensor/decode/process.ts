/**
 * The process family (bpf/tracepoints/process.bpf.c): exec, clone and exit, which keep the process
 * table whether or not their events are wanted, and the calls of struct vg_proc_op (chdir, which
 * keeps proc.cwd, setns, unshare, ptrace, memfd_create, init_module, finit_module, bpf,
 * userfaultfd, prctl, process_vm_readv, process_vm_writev).
 */
import type { EventRow } from '../../event/table.js';
import type { EventArgs, ProcessInfo, VigilEvent } from '../../event/types.js';
import {
  EXEC_STR,
  HDR_F_DENIED,
  HDR_F_EXE_FROM_MEMFD,
  HDR_F_EXE_UPPER_LAYER,
  HDR_F_EXE_WRITABLE,
  LAYOUT,
} from '../../kernel/layout.js';
import { BPF_OBJECT_KINDS } from '../agent-bpf-objects.js';
import { containerFromCgroup } from '../cgroup-container.js';
import * as F from '../flags.js';
import type { ProcEntry } from '../process-table.js';
import { cmdlineOf, splitNul } from '../procfs.js';
import type { RecordReader } from './decoder.js';
import { signalName, targetByPid } from './signal.js';

const H = LAYOUT.vg_hdr.fields;
const EX = LAYOUT.vg_exec.fields;
const FK = LAYOUT.vg_fork.fields;
const EXT = LAYOUT.vg_exit.fields;
const PO = LAYOUT.vg_proc_op.fields;
/** bpf(2) cmd BPF_PROG_LOAD: its record carries the program type. */
const BPF_PROG_LOAD = 5;

export function decodeExec(
  r: RecordReader,
  w: EventRow,
  rec: number,
  p: number,
  wanted: boolean,
): VigilEvent | null {
  const dv = r.dv;
  const c = r.creds(rec);
  const pid = r.pid(rec);
  const flags = r.flags(rec);
  const s = r.strings(rec, p + LAYOUT.vg_exec.size, p + EX.str_len, 5);
  const exe = r.utf8(s, EXEC_STR.exe);
  const argc = dv.getUint32(p + EX.argc, true);
  const args = argc === 0 ? [] : splitNul(r.utf8(s, EXEC_STR.argv));
  // Falco's proc.name is the kernel's comm, which exec has just set from the file name run
  // (so a script's name, not its interpreter's; 15 bytes at most, as Falco's rules expect).
  const name = c.comm || exe.slice(exe.lastIndexOf('/') + 1);
  if ((flags & HDR_F_DENIED) !== 0) return deniedExec(r, w, rec, p, exe, args, argc);
  const cgroup = r.utf8(s, EXEC_STR.cgroup);
  const entry: ProcEntry = {
    pid,
    ppid: c.ppid,
    vpid: dv.getUint32(p + EX.vpid, true) || pid,
    sid: dv.getUint32(p + EX.sid, true),
    vpgid: dv.getUint32(p + EX.pgid, true),
    uid: c.uid,
    gid: c.gid,
    euid: c.euid,
    egid: c.egid,
    loginuid: c.loginuid,
    comm: c.comm,
    name,
    exe,
    args,
    cmdline: cmdlineOf(name, args),
    cwd: r.utf8(s, EXEC_STR.cwd),
    env: r.envOf(s),
    tty: dv.getUint32(p + EX.tty, true),
    start_ts: r.u64(p + EX.start_ns) + r.offsetNs,
    cap_effective: r.u64(p + EX.cap_effective),
    cap_permitted: r.u64(p + EX.cap_permitted),
    cap_inheritable: r.u64(p + EX.cap_inheritable),
    exe_ino: r.u64(p + EX.exe_ino),
    exe_dev: dv.getUint32(p + EX.exe_dev, true),
    exe_ctime: r.u64(p + EX.exe_ctime_ns),
    exe_mtime: r.u64(p + EX.exe_mtime_ns),
    exe_writable: (flags & HDR_F_EXE_WRITABLE) !== 0,
    exe_upper_layer: (flags & HDR_F_EXE_UPPER_LAYER) !== 0,
    exe_from_memfd: (flags & HDR_F_EXE_FROM_MEMFD) !== 0,
    cgroup,
    container_id: containerFromCgroup(cgroup).id,
    exitedAt: 0,
  };
  r.table.onExec(entry);
  if (!wanted) return null;
  const ev = r.base(w, rec, r.table.info(pid, c), c);
  ev.args = { exe: args[0] ?? '', args: args.slice(1).join(' '), filename: exe, cwd: entry.cwd, res: 0 };
  ev.rawargs = { argc };
  return ev;
}

/**
 * An exec a BPF LSM program refused: the process goes on as it was (the table is not touched),
 * and the event describes the program it was refused, as an exec event would have.
 */
function deniedExec(
  r: RecordReader,
  w: EventRow,
  rec: number,
  p: number,
  exe: string,
  args: string[],
  argc: number,
): VigilEvent {
  const c = r.creds(rec);
  const caller = r.table.info(r.pid(rec), c);
  const name = exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15);
  const proc: ProcessInfo = {
    ...caller,
    name,
    comm: name,
    exe,
    args,
    cmdline: cmdlineOf(name, args),
    exe_ino: r.u64(p + EX.exe_ino),
    exe_dev: r.dv.getUint32(p + EX.exe_dev, true),
    exe_from_memfd: false,
    exe_upper_layer: false,
    exe_writable: false,
  };
  const ev = r.base(w, rec, proc, c);
  ev.args = {
    exe: args[0] ?? '',
    args: args.slice(1).join(' '),
    filename: exe,
    cwd: proc.cwd,
    res: F.renderRes(ev.ret),
  };
  ev.rawargs = { argc, res: ev.ret };
  return ev;
}

export function decodeFork(
  r: RecordReader,
  w: EventRow,
  rec: number,
  p: number,
  wanted: boolean,
): VigilEvent | null {
  const dv = r.dv;
  const c = r.creds(rec);
  const pid = r.pid(rec);
  const child = dv.getUint32(p + FK.child_pid, true);
  const flags = r.u64(p + FK.clone_flags);
  r.table.onClone(pid, c, child, dv.getUint32(p + FK.child_vpid, true), r.u64(p + FK.child_start_ns));
  if (!wanted) return null;
  const ev = r.base(w, rec, r.table.info(pid, c), c);
  ev.args = { child_pid: child, flags: F.renderCloneFlags(flags) };
  ev.rawargs = { child_pid: child, flags };
  return ev;
}

export function decodeExit(
  r: RecordReader,
  w: EventRow,
  rec: number,
  p: number,
  wanted: boolean,
): VigilEvent | null {
  const pid = r.pid(rec);
  let ev: VigilEvent | null = null;
  if (wanted) {
    ev = r.event(w, rec);
    const status = r.dv.getInt32(p + EXT.exit_code, true);
    const code = (status >> 8) & 0xff;
    const sig = status & 0x7f;
    // Falco renders the signal by name (SIGKILL), as for kill; 0 when the process exited.
    ev.args = { status, ret: code, sig: signalName(sig), core: (status & 0x80) !== 0 ? 1 : 0 };
    ev.rawargs = { status, ret: code, sig };
  }
  r.table.onExit(pid, r.nowMs);
  return ev;
}

/** struct vg_proc_op: up to four integer arguments and two strings. */
export function decodeProcOp(
  r: RecordReader,
  w: EventRow,
  rec: number,
  p: number,
  wanted: boolean,
): VigilEvent | null {
  const s = r.strings(rec, p + LAYOUT.vg_proc_op.size, p + PO.str_len, 2);
  if (w.type === 'chdir') {
    const ret = r.s64(rec + H.retval);
    const c = r.creds(rec);
    const path = r.utf8(s, 0);
    if (ret === 0) r.table.onChdir(r.pid(rec), c, path);
    if (!wanted) return null;
  }
  const ev = r.event(w, rec);
  const args: EventArgs = {};
  const raw: Record<string, number> = {};
  procOpArgs(r, ev, p, s, args, raw);
  args.res = F.renderRes(ev.ret);
  raw.res = ev.ret;
  ev.args = args;
  ev.rawargs = raw;
  return ev;
}

/** Each call's arguments (events.h, struct vg_proc_op), as Falco names and renders them. */
function procOpArgs(
  r: RecordReader,
  ev: VigilEvent,
  p: number,
  s: number[],
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const a0 = r.u64(p + PO.arg);
  const a1 = r.u64(p + PO.arg + 8);
  const a2 = r.u64(p + PO.arg + 16);
  const a3 = r.u64(p + PO.arg + 24);
  const str0 = r.utf8(s, 0);
  switch (ev.type) {
    case 'chdir':
      args.path = str0;
      break;
    case 'setns':
      args.fd = a0 | 0;
      args.nstype = F.renderNsType(a1);
      raw.fd = a0 | 0;
      raw.nstype = a1;
      ev.fd = { num: a0 | 0, type: 'file', name: str0 };
      break;
    case 'unshare':
    case 'userfaultfd':
      args.flags = ev.type === 'unshare' ? F.renderCloneFlags(a0) : F.renderFlags(F.USERFAULTFD_FLAGS, a0);
      raw.flags = a0;
      break;
    case 'ptrace':
      onProcessArgs(r, ev, { request: a0, pid: a1, addr: a2, data: a3 }, args, raw);
      args.request = F.renderPtraceRequest(a0);
      break;
    case 'memfd_create':
      args.name = str0;
      args.flags = F.renderFlags(F.MEMFD_FLAGS, a0);
      raw.flags = a0;
      break;
    case 'init_module':
      args.length = a0;
      args.uargs = str0;
      raw.length = a0;
      break;
    case 'finit_module':
      finitModuleArgs(ev, a0, a1, str0, r.utf8(s, 1), args, raw);
      break;
    case 'bpf':
      args.cmd = F.renderBpfCommand(a0);
      raw.cmd = a0;
      if (a0 === BPF_PROG_LOAD) {
        args.prog_type = F.renderBpfProgType(a1);
        raw.prog_type = a1;
      }
      bpfTarget(r, ev, a2, a3, args, raw);
      break;
    case 'io_uring_setup':
      args.entries = a0;
      args.flags = F.renderFlags(F.IORING_SETUP_FLAGS, a1);
      Object.assign(raw, { entries: a0, flags: a1 });
      break;
    case 'process_vm_readv':
    case 'process_vm_writev':
      onProcessArgs(r, ev, { pid: a0, liovcnt: a1, riovcnt: a2, flags: a3 }, args, raw);
      break;
    case 'prctl':
      args.option = F.renderPrctlOption(a0);
      args.arg2_int = a1;
      if (str0 !== '') args.arg2_str = str0;
      Object.assign(raw, { option: a0, arg2: a1, arg3: a2, arg4: a3 });
      break;
  }
}

/**
 * A call on another process (ptrace, process_vm_readv/writev): its arguments as numbers, rendered
 * and raw alike (a caller renders what needs it afterwards), and the process `pid` names as target.
 */
function onProcessArgs(
  r: RecordReader,
  ev: VigilEvent,
  values: { pid: number } & Record<string, number>,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  Object.assign(args, values);
  Object.assign(raw, values);
  ev.target = targetByPid(r.table, ev, values.pid | 0, values.pid | 0, r.agentPid);
}

/**
 * bpf: the map, program or link the call names (arg2 its id, arg3 its kind); when it is one of
 * the agent's, the agent is the call's target (evt.target.is_agent), as for a signal.
 */
function bpfTarget(
  r: RecordReader,
  ev: VigilEvent,
  id: number,
  kindValue: number,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const kind = BPF_OBJECT_KINDS[kindValue];
  if (kind === undefined || kind === '' || id === 0) return;
  args.target_kind = kind;
  args.target_id = raw.target_id = id;
  raw.target_kind = kindValue;
  if (!r.agentObjects.has(kind, id, r.nowMs)) return;
  const e = r.table.get(r.agentPid);
  ev.target = {
    pid: r.agentPid,
    tid: r.agentPid,
    name: e?.name ?? '',
    exe: e?.exe ?? '',
    cmdline: e?.cmdline ?? '',
    is_agent: true,
    count: 1,
  };
}

/** finit_module: the module file's fd (and its path, str1), flags, and the parameter string. */
function finitModuleArgs(
  ev: VigilEvent,
  fd: number,
  flags: number,
  uargs: string,
  path: string,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  args.fd = fd | 0;
  args.flags = F.renderFlags(F.MODULE_INIT_FLAGS, flags);
  args.uargs = uargs;
  Object.assign(raw, { fd: fd | 0, flags });
  if (path !== '') ev.fd = { num: fd | 0, type: 'file', name: path };
}
