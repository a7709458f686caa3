/**
 * A process of which nothing is known but its pid: every other fact at its
 * "not known" value (numbers 0, strings '', loginuid -1 as the kernel says
 * unset). The one starting point for code that fills in what it does know:
 * the process table for a pid it could not look up (from the record header),
 * and the JSON reader for an event that leaves fields out.
 */
import type { ProcessInfo } from './types.js';

/** ProcessInfo without the per-event parts (the thread, the parent chain): what the process table keeps. */
export type ProcessFacts = Omit<ProcessInfo, 'tid' | 'ancestors'>;

export function unknownProcessFacts(pid: number): ProcessFacts {
  // The key order is the process table's entries' (objects of one shape stay fast in V8).
  return {
    pid,
    ppid: 0,
    vpid: pid,
    sid: 0,
    vpgid: 0,
    uid: 0,
    gid: 0,
    euid: 0,
    egid: 0,
    loginuid: -1,
    comm: '',
    name: '',
    exe: '',
    args: [],
    cmdline: '',
    cwd: '',
    env: [],
    tty: 0,
    start_ts: 0,
    cap_effective: 0,
    cap_permitted: 0,
    cap_inheritable: 0,
    exe_ino: 0,
    exe_ctime: 0,
    exe_mtime: 0,
    exe_writable: false,
    exe_upper_layer: false,
    exe_from_memfd: false,
    cgroup: '',
    container_id: '',
  };
}

export function unknownProcess(pid: number): ProcessInfo {
  return { ...unknownProcessFacts(pid), tid: pid, ancestors: [] };
}
