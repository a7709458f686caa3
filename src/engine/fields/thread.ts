/**
 * thread.* fields. Capability sets render as Falco renders them: the
 * CAP_* names of the set bits, separated by spaces.
 */
import type { ProcessInfo } from '../../event/types.js';
import { lastInput, plain, unavailable } from './define.js';
import type { FieldDef } from './types.js';

/** Capability names by bit number (linux/capability.h). */
const CAP_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Capability mask (a double: bits up to 52 are exact) -> "CAP_A CAP_B". */
export function capabilityNames(mask: number): string {
  const names: string[] = [];
  for (let bit = 0; bit < CAP_NAMES.length; bit++) {
    if (Math.floor(mask / 2 ** bit) % 2 === 1) names.push(CAP_NAMES[bit]);
  }
  return names.join(' ');
}

/** One memo per set, keyed on the (immutable) process object: formatted once per event. */
const effective = lastInput((p: ProcessInfo) => capabilityNames(p.cap_effective));
const permitted = lastInput((p: ProcessInfo) => capabilityNames(p.cap_permitted));
const inheritable = lastInput((p: ProcessInfo) => capabilityNames(p.cap_inheritable));

export const THREAD_FIELDS: FieldDef[] = [
  plain('thread.tid', 'int64', 'Id of the thread that made the call', (ev) => ev.proc.tid),
  plain(
    'thread.ismain',
    'bool',
    'true for the main thread of the process',
    (ev) => ev.proc.tid === ev.proc.pid,
  ),
  unavailable('thread.vtid', 'int64', 'Thread id in its pid namespace'),
  plain('thread.cap_effective', 'string', 'Effective capabilities (CAP_* names separated by spaces)', (ev) =>
    effective(ev.proc),
  ),
  plain('thread.cap_permitted', 'string', 'Permitted capabilities (CAP_* names separated by spaces)', (ev) =>
    permitted(ev.proc),
  ),
  plain(
    'thread.cap_inheritable',
    'string',
    'Inheritable capabilities (CAP_* names separated by spaces)',
    (ev) => inheritable(ev.proc),
  ),
];
