/**
 * proc.* fields: the process that caused the event and its ancestors.
 * Mapping to the event model (src/event/types.ts):
 *   proc.name      ev.proc.name            proc.exepath  ev.proc.exe (full path)
 *   proc.exe       ev.proc.args[0] (Falco: argv[0], not the path)
 *   proc.args      argv[1..] joined        proc.cmdline  ev.proc.cmdline
 *   proc.argv[N]   ev.proc.args[N]
 *   proc.aname[N]  N=0: the process, N>=1: ev.proc.ancestors[N-1]
 * Without an index, proc.aname / proc.apid / proc.aexe / proc.aexepath /
 * proc.acmdline match if any ancestor (parent and up) matches, as in Falco;
 * rendered in an output they show the parent.
 */
import type { Ancestor, VigilEvent } from '../../event/types.js';
import { indexed, keyed, lastInput, plain, unavailable } from './define.js';
import type { FieldDef, Getter } from './field-types.js';

const joinArgs = lastInput((args: readonly string[]) => args.slice(1).join(' '));
const joinAll = lastInput((args: readonly string[]) => args.join(' '));
const joinEnv = lastInput((env: readonly string[]) => env.join(' '));

/** Ancestor field: index 0 is the process itself, 1 the parent... */
function ancestorField(
  name: string,
  type: 'string' | 'int64',
  description: string,
  self: (ev: VigilEvent) => string | number,
  of: (a: Ancestor) => string | number,
): FieldDef {
  return indexed(
    name,
    type,
    `${description} of an ancestor: [0] is the process, [1] the parent, [2] the grandparent...; ` +
      'without index, matches any ancestor',
    false,
    (index) => {
      if (index === 0) return self;
      const i = (index ?? 1) - 1;
      return (ev) => {
        const a = ev.proc.ancestors[i];
        return a === undefined ? undefined : of(a);
      };
    },
    anyOfMemo(of),
  );
}

/** The any-ancestor values, computed once per ancestors array (events are immutable), not once per rule. */
function anyOfMemo(of: (a: Ancestor) => string | number): (ev: VigilEvent) => readonly (string | number)[] {
  let lastIn: readonly Ancestor[] | undefined;
  let lastOut: readonly (string | number)[] = [];
  return (ev) => {
    const ancestors = ev.proc.ancestors;
    if (ancestors !== lastIn) {
      lastOut = ancestors.map(of);
      lastIn = ancestors;
    }
    return lastOut;
  };
}

const parent = (of: (a: Ancestor) => string | number): Getter => {
  return (ev) => {
    const a = ev.proc.ancestors[0];
    return a === undefined ? undefined : of(a);
  };
};

/** The process or ancestor with host pid `pid`, when the process lives in the host pid namespace. */
function processWithPid(ev: VigilEvent, vpid: number): { name: string; exe: string } | undefined {
  if (ev.proc.vpid === vpid) return ev.proc;
  if (ev.proc.vpid !== ev.proc.pid) return undefined;
  return ev.proc.ancestors.find((a) => a.pid === vpid);
}

function envValue(key: string | undefined): Getter {
  if (key === undefined) return (ev) => joinEnv(ev.proc.env);
  const prefix = `${key}=`;
  return (ev) => {
    for (const e of ev.proc.env) if (e.startsWith(prefix)) return e.slice(prefix.length);
    return undefined;
  };
}

export const PROC_FIELDS: FieldDef[] = [
  plain('proc.pid', 'int64', 'Process id', (ev) => ev.proc.pid),
  plain('proc.ppid', 'int64', 'Parent process id', (ev) => ev.proc.ppid),
  plain('proc.vpid', 'int64', 'Process id as seen in its own pid namespace', (ev) => ev.proc.vpid),
  plain('proc.sid', 'int64', 'Session id (in the process pid namespace)', (ev) => ev.proc.sid),
  plain('proc.vpgid', 'int64', 'Process group id (in the process pid namespace)', (ev) => ev.proc.vpgid),
  plain('proc.name', 'string', 'Executable name (no path)', (ev) => ev.proc.name),
  plain('proc.exe', 'string', 'First command-line argument (argv[0]), as Falco defines proc.exe', (ev) => {
    const a0 = ev.proc.args[0];
    return a0 === undefined ? ev.proc.exe : a0;
  }),
  plain('proc.exepath', 'string', 'Full path of the executable', (ev) => ev.proc.exe),
  plain('proc.args', 'string', 'Command-line arguments after argv[0], joined with spaces', (ev) =>
    joinArgs(ev.proc.args),
  ),
  plain('proc.cmdline', 'string', 'Full command line: name and arguments', (ev) => ev.proc.cmdline),
  plain('proc.exeline', 'string', 'Full command line with argv[0] as first word', (ev) =>
    joinAll(ev.proc.args),
  ),
  indexed(
    'proc.argv',
    'string',
    'One command-line argument: [0] is argv[0], [1] the first argument...; without index, matches any argument',
    false,
    (index) => (index === undefined ? (ev) => joinAll(ev.proc.args) : (ev) => ev.proc.args[index]),
    (ev) => ev.proc.args,
  ),
  plain('proc.cmdnargs', 'uint64', 'Number of command-line arguments (argv[0] not counted)', (ev) =>
    Math.max(0, ev.proc.args.length - 1),
  ),
  plain('proc.cwd', 'string', 'Current working directory', (ev) => ev.proc.cwd),
  keyed(
    'proc.env',
    'string',
    'Environment: without argument all KEY=VALUE entries joined with spaces; proc.env[KEY] one value',
    false,
    envValue,
  ),
  plain('proc.tty', 'int64', 'Controlling terminal device number; 0 without one', (ev) => ev.proc.tty),
  plain('proc.loginuid', 'int64', 'Audit login uid; -1 when unset', (ev) => ev.proc.loginuid),
  plain(
    'proc.pname',
    'string',
    'Name of the parent',
    parent((a) => a.name),
  ),
  plain(
    'proc.pexe',
    'string',
    'Executable of the parent (its full path: vigil keeps no argv[0] for ancestors)',
    parent((a) => a.exe),
  ),
  plain(
    'proc.pexepath',
    'string',
    'Full path of the parent executable',
    parent((a) => a.exe),
  ),
  plain(
    'proc.pcmdline',
    'string',
    'Command line of the parent',
    parent((a) => a.cmdline),
  ),
  ancestorField(
    'proc.aname',
    'string',
    'Name',
    (ev) => ev.proc.name,
    (a) => a.name,
  ),
  ancestorField(
    'proc.apid',
    'int64',
    'Pid',
    (ev) => ev.proc.pid,
    (a) => a.pid,
  ),
  ancestorField(
    'proc.aexe',
    'string',
    'Executable',
    (ev) => ev.proc.exe,
    (a) => a.exe,
  ),
  ancestorField(
    'proc.aexepath',
    'string',
    'Executable path',
    (ev) => ev.proc.exe,
    (a) => a.exe,
  ),
  ancestorField(
    'proc.acmdline',
    'string',
    'Command line',
    (ev) => ev.proc.cmdline,
    (a) => a.cmdline,
  ),
  plain(
    'proc.sname',
    'string',
    'Name of the session leader (when vigil knows it)',
    (ev) => processWithPid(ev, ev.proc.sid)?.name,
  ),
  plain(
    'proc.is_sid_leader',
    'bool',
    'true if the process leads its session',
    (ev) => ev.proc.vpid === ev.proc.sid,
  ),
  plain(
    'proc.vpgid.name',
    'string',
    'Name of the process group leader (when vigil knows it)',
    (ev) => processWithPid(ev, ev.proc.vpgid)?.name,
  ),
  plain(
    'proc.vpgid.exe',
    'string',
    'Executable of the process group leader (when vigil knows it)',
    (ev) => processWithPid(ev, ev.proc.vpgid)?.exe,
  ),
  plain(
    'proc.is_vpgid_leader',
    'bool',
    'true if the process leads its process group',
    (ev) => ev.proc.vpid === ev.proc.vpgid,
  ),
  plain('proc.start_ts', 'abstime', 'Process start time, ns since the epoch', (ev) => ev.proc.start_ts),
  plain('proc.duration', 'reltime', 'Time since the process started, ns', (ev) => ev.ts - ev.proc.start_ts),
  unavailable('proc.ppid.duration', 'reltime', 'Time since the parent started, ns'),
  unavailable('proc.pid.ts', 'abstime', 'Start time of the process (use proc.start_ts)'),
  plain('proc.exe_ino', 'uint64', 'Inode of the executable', (ev) => ev.proc.exe_ino),
  plain(
    'proc.exe_ino.ctime',
    'abstime',
    'Last status change of the executable, ns since the epoch',
    (ev) => ev.proc.exe_ctime,
  ),
  plain(
    'proc.exe_ino.mtime',
    'abstime',
    'Last modification of the executable, ns since the epoch',
    (ev) => ev.proc.exe_mtime,
  ),
  plain(
    'proc.exe_ino.ctime_duration_proc_start',
    'reltime',
    'Time between the last status change of the executable and the process start, ns',
    (ev) => ev.proc.start_ts - ev.proc.exe_ctime,
  ),
  unavailable(
    'proc.exe_ino.ctime_duration_pidns_start',
    'reltime',
    'Time between the last status change of the executable and the pid namespace start',
  ),
  plain(
    'proc.is_exe_writable',
    'bool',
    'true if the executable is writable by the process user',
    (ev) => ev.proc.exe_writable,
  ),
  plain(
    'proc.is_exe_upper_layer',
    'bool',
    'true if the executable lives in an overlayfs upper layer',
    (ev) => ev.proc.exe_upper_layer,
  ),
  plain(
    'proc.is_exe_from_memfd',
    'bool',
    'true if the executable was run from a memfd',
    (ev) => ev.proc.exe_from_memfd,
  ),
];
