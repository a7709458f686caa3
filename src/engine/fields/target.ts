/**
 * evt.target.* fields: the process a call was aimed at (kill, tkill, tgkill, pidfd_send_signal,
 * ptrace; bpf when the map, program or link it names is the agent's), as the sensor resolved it
 * (event.target). vigil's own; Falco has no equivalent (its
 * evt.arg.pid of kill renders the target's comm).
 */
import { plain } from './define.js';
import type { FieldDef } from './field-types.js';

export const TARGET_FIELDS: FieldDef[] = [
  plain(
    'evt.target.pid',
    'int64',
    'Process a signal or ptrace was aimed at (host pid; for a signal, the one the kernel signalled; for bpf, the agent when the object named is its own)',
    (ev) => ev.target?.pid,
  ),
  plain(
    'evt.target.tid',
    'int64',
    'Thread a signal was aimed at (tkill, tgkill); else the pid',
    (ev) => ev.target?.tid,
  ),
  plain('evt.target.name', 'string', 'Name (comm) of the target process', (ev) => ev.target?.name),
  plain(
    'evt.target.exepath',
    'string',
    "Full path of the target's executable, from the process table",
    (ev) => ev.target?.exe || undefined,
  ),
  plain('evt.target.cmdline', 'string', "The target's command line, from the process table", (ev) =>
    ev.target === undefined || ev.target.cmdline === '' ? undefined : ev.target.cmdline,
  ),
  plain(
    'evt.target.is_agent',
    'bool',
    "true when the target is the running vigil agent (for a signal to a group or to -1: the agent was among them; for bpf: the map, program or link named is one of the agent's)",
    (ev) => ev.target?.is_agent ?? false,
  ),
  plain(
    'evt.target.count',
    'int64',
    'Processes a signal reached (a process group or -1 reach several)',
    (ev) => ev.target?.count,
  ),
];
