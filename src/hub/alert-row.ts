/**
 * One message of `vigil.alerts.<hostname>` as a row of the hub's store: the alert JSON as `vigil
 * run --json` prints it (src/event/alert.ts), checked and reduced to the columns the console
 * filters on. A message that is not such an alert is refused with the reason (the consumer
 * terminates it and counts it); nothing in it is ever trusted beyond its type.
 */
import { PRIORITIES } from '../event/alert.js';

/** The largest alert the hub accepts, in bytes of JSON (an alert with a full event is a few KiB). */
export const MAX_ALERT_BYTES = 256 * 1024;

/** The columns the console filters and sorts on, and the alert as received. */
export interface AlertRow {
  uuid: string;
  /** The alert's time, ms since the epoch (its nanoseconds stay in `json`). */
  timeMs: number;
  rule: string;
  /** 0 = Emergency … 7 = Debug. */
  priority: number;
  hostname: string;
  /** '' outside a container. */
  containerId: string;
  /** `namespace/name`, '' outside a pod. */
  pod: string;
  tags: string[];
  output: string;
  /** The alert JSON exactly as published. */
  json: string;
}

export class MalformedAlert extends Error {
  override name = 'MalformedAlert';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Obj = Record<string, unknown>;
// PostgreSQL's text refuses NUL: columns drop it (the JSON keeps its \u0000 escape).
const noNul = (s: string): string => s.replaceAll('\0', '');
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(a: Obj, key: string, max = 1024): string {
  const v = a[key];
  if (typeof v !== 'string' || v.length === 0) throw new MalformedAlert(`"${key}" is not a non-empty string`);
  if (v.length > max) throw new MalformedAlert(`"${key}" is longer than ${max} characters`);
  if (v.includes('\0')) throw new MalformedAlert(`"${key}" holds a NUL character`);
  return v;
}

function containerOf(a: Obj): { containerId: string; pod: string } {
  const ev = isObj(a.event) ? a.event : {};
  const c = isObj(ev.container) ? ev.container : {};
  const proc = isObj(ev.proc) ? ev.proc : {};
  const id = typeof c.id === 'string' ? c.id : typeof proc.container_id === 'string' ? proc.container_id : '';
  const pod = isObj(c.pod) && typeof c.pod.name === 'string' ? c.pod : undefined;
  const ns = pod && typeof pod.namespace === 'string' ? pod.namespace : '';
  return {
    containerId: noNul(id).slice(0, 128),
    pod: pod ? noNul(`${ns}/${String(pod.name)}`).slice(0, 512) : '',
  };
}

/** The row of one message's payload; throws MalformedAlert saying what is wrong. */
export function alertRow(payload: Uint8Array | string): AlertRow {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_ALERT_BYTES) throw new MalformedAlert(`${size} bytes, more than ${MAX_ALERT_BYTES}`);
  const json = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let a: unknown;
  try {
    a = JSON.parse(json);
  } catch {
    // JSON.parse's message quotes the payload: the reason names no content of it.
    throw new MalformedAlert('not JSON');
  }
  if (!isObj(a)) throw new MalformedAlert('not a JSON object');
  const uuid = text(a, 'uuid', 36);
  if (!UUID.test(uuid)) throw new MalformedAlert('"uuid" is not a UUID');
  const timeMs = Date.parse(text(a, 'time', 64));
  if (!Number.isFinite(timeMs)) throw new MalformedAlert('"time" is not an RFC 3339 time');
  const priority = (PRIORITIES as readonly string[]).indexOf(text(a, 'priority', 32));
  if (priority < 0) throw new MalformedAlert(`"priority" is not one of ${PRIORITIES.join(', ')}`);
  const tags = Array.isArray(a.tags) ? a.tags.filter((t): t is string => typeof t === 'string') : [];
  return {
    uuid: uuid.toLowerCase(),
    timeMs,
    rule: text(a, 'rule'),
    priority,
    hostname: text(a, 'hostname', 255),
    ...containerOf(a),
    tags: tags.slice(0, 64).map((t) => noNul(t).slice(0, 128)),
    output: typeof a.output === 'string' ? noNul(a.output).slice(0, 8192) : '',
    json,
  };
}
