/**
 * thread.* fields. Capability sets render as Falco renders them: the
 * CAP_* names of the set bits, separated by spaces.
 */
import type { ProcessInfo } from '../../event/types.js';
import { capabilityNames } from '../../event/capabilities.js';
import { lastInput, plain, unavailable } from './define.js';
import type { FieldDef } from './field-types.js';

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
