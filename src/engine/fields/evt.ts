/**
 * evt.* fields: the event itself. vigil emits only syscall exit events, so
 * evt.dir is '<' for every event. Times render in UTC.
 */
import { constants } from 'node:os';
import { hostname } from 'node:os';
import { OPEN_EVENT_TYPES } from '../../event/table.js';
import type { VigilEvent } from '../../event/types.js';
import { keyed, lastInput, plain, unavailable } from './define.js';
import type { FieldDef, Getter } from './field-types.js';

const ERRNO_NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(constants.errno)) {
  if (!ERRNO_NAMES.has(num)) ERRNO_NAMES.set(num, name);
}

/** Falco's evt.res: SUCCESS, or the errno name of a failed call (ENOENT...). */
export function resultName(ret: number): string {
  if (ret >= 0) return 'SUCCESS';
  return ERRNO_NAMES.get(-ret) ?? String(ret);
}

const OPEN_TYPES: ReadonlySet<string> = new Set(OPEN_EVENT_TYPES);
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;

function openFlags(ev: VigilEvent): number | undefined {
  if (!OPEN_TYPES.has(ev.type)) return undefined;
  const f = ev.rawargs.flags;
  return typeof f === 'number' ? f : undefined;
}

/** Splits ns since the epoch into an ISO date-time (seconds precision) and the 9-digit ns part. */
function timeParts(ts: number): { iso: string; ns: string } {
  const secs = Math.floor(ts / 1e9);
  const ns = Math.max(0, Math.round(ts - secs * 1e9));
  const iso = new Date(secs * 1000).toISOString().slice(0, 19);
  return { iso, ns: String(Math.min(ns, 999_999_999)).padStart(9, '0') };
}

const timeOf = (render: (p: { iso: string; ns: string }) => string): Getter => {
  const fromTs = lastInput((ev: VigilEvent) => render(timeParts(ev.ts)));
  return fromTs;
};

const HOSTNAME = hostname();

const argsText = lastInput((ev: VigilEvent) =>
  Object.entries(ev.args)
    .map(([k, v]) => `${k}=${v}`)
    .join(' '),
);

function bindArg(key: string | undefined): Getter {
  if (key === undefined) return () => undefined;
  if (/^[0-9]+$/.test(key)) {
    const index = Number(key);
    return (ev) => {
      const v = Object.values(ev.args)[index];
      return v === undefined ? undefined : String(v);
    };
  }
  return (ev) => {
    const v = ev.args[key];
    return v === undefined ? undefined : String(v);
  };
}

export const EVT_FIELDS: FieldDef[] = [
  unavailable('evt.num', 'uint64', 'Event number'),
  {
    ...plain(
      'evt.type',
      'string',
      "Event type: the syscall's name (openat, execve, connect...)",
      (ev) => ev.type,
    ),
    byType: (type) => type,
  },
  {
    ...plain('evt.dir', 'string', "Event direction: always '<' (vigil emits exit events only)", () => '<'),
    byType: () => '<',
  },
  {
    ...plain('evt.source', 'string', "Event source: always 'syscall'", () => 'syscall'),
    byType: () => 'syscall',
  },
  plain('evt.res', 'string', 'Result: SUCCESS, or the errno name when the call failed (ENOENT...)', (ev) =>
    resultName(ev.ret),
  ),
  plain('evt.rawres', 'int64', 'Return value of the syscall, as a number', (ev) => ev.ret),
  plain('evt.failed', 'bool', 'true when the syscall returned an error', (ev) => ev.ret < 0),
  plain('evt.rawtime', 'abstime', 'Event time, ns since the epoch', (ev) => ev.ts),
  plain('evt.rawtime.s', 'uint64', 'Event time, seconds part', (ev) => Math.floor(ev.ts / 1e9)),
  plain(
    'evt.rawtime.ns',
    'uint64',
    'Event time, nanoseconds part',
    (ev) => ev.ts - Math.floor(ev.ts / 1e9) * 1e9,
  ),
  plain(
    'evt.time',
    'string',
    'Event time (UTC), hh:mm:ss.nnnnnnnnn',
    timeOf((p) => `${p.iso.slice(11)}.${p.ns}`),
  ),
  plain(
    'evt.time.s',
    'string',
    'Event time (UTC), hh:mm:ss',
    timeOf((p) => p.iso.slice(11)),
  ),
  plain(
    'evt.time.iso8601',
    'string',
    'Event time (UTC), ISO 8601 with nanoseconds',
    timeOf((p) => `${p.iso}.${p.ns}Z`),
  ),
  plain(
    'evt.datetime',
    'string',
    'Event date and time (UTC), yyyy-mm-dd hh:mm:ss.nnnnnnnnn',
    timeOf((p) => `${p.iso.replace('T', ' ')}.${p.ns}`),
  ),
  plain(
    'evt.datetime.s',
    'string',
    'Event date and time (UTC), yyyy-mm-dd hh:mm:ss',
    timeOf((p) => p.iso.replace('T', ' ')),
  ),
  plain('evt.hostname', 'string', 'Host name of the machine running vigil', () => HOSTNAME),
  plain('evt.args', 'string', 'All arguments, rendered as name=value separated by spaces', argsText),
  plain('evt.info', 'string', 'Same as evt.args for syscall events', argsText),
  plain(
    'evt.buffer',
    'bytebuf',
    "The first bytes of a sendto's or recvfrom's data (at most sensors.snaplen); copied by the kernel only for the event types a loaded rule reads it on. Outputs print other than printable ASCII as '.'",
    (ev) => ev.buffer,
  ),
  keyed(
    'evt.arg',
    'string',
    'One argument as Falco renders it, by name (evt.arg.flags, evt.arg[flags]) or position (evt.arg[0])',
    true,
    bindArg,
  ),
  keyed('evt.rawarg', 'int64', 'One numeric argument, raw (evt.rawarg.flags)', true, (key) =>
    key === undefined ? () => undefined : (ev) => ev.rawargs[key],
  ),
  plain(
    'evt.is_open_read',
    'bool',
    'true for open/openat/openat2/creat events opening for reading (O_RDONLY or O_RDWR)',
    (ev) => {
      const f = openFlags(ev);
      if (f === undefined) return false;
      const mode = f & O_ACCMODE;
      return mode === 0 || mode === O_RDWR;
    },
  ),
  plain(
    'evt.is_open_write',
    'bool',
    'true for open/openat/openat2/creat events opening for writing (O_WRONLY or O_RDWR)',
    (ev) => {
      const f = openFlags(ev);
      if (f === undefined) return false;
      const mode = f & O_ACCMODE;
      return mode === O_WRONLY || mode === O_RDWR;
    },
  ),
  plain(
    'evt.is_open_exec',
    'bool',
    'true for open events creating a file with an execute permission bit',
    (ev) => {
      const f = openFlags(ev);
      const mode = ev.rawargs.mode;
      return f !== undefined && (f & O_CREAT) !== 0 && typeof mode === 'number' && (mode & 0o111) !== 0;
    },
  ),
  plain('evt.is_open_create', 'bool', 'true for open events with O_CREAT', (ev) => {
    const f = openFlags(ev);
    return f !== undefined && (f & O_CREAT) !== 0;
  }),
  unavailable('evt.cpu', 'int64', 'CPU the event happened on'),
  unavailable('evt.latency', 'reltime', 'Time spent in the syscall'),
];
