/**
 * Syslog message building: the RFC 5424 header, severity from the Falco priority, facilities, and
 * RFC 6587 octet counting. The MSG body is the alert JSON or CEF (cef.ts).
 */
import { OutputConfigError } from '../config.js';
import { priorityRank } from '../priority.js';

const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
  'local6', 'local7',
]; // prettier-ignore

export function parseFacility(f: string | number | undefined): number {
  if (f === undefined) return 16;
  if (typeof f === 'number' && Number.isInteger(f) && f >= 0 && f < 24) return f;
  const i = FACILITIES.indexOf(String(f).toLowerCase());
  if (i < 0) throw new OutputConfigError(`unknown syslog facility "${f}" (kern … local7, or 0–23)`);
  return i;
}

/** Falco's levels line up with syslog's: Emergency = 0 … Debug = 7. */
export function severityOf(priority: string): number {
  return priorityRank(priority);
}

/** RFC 5424 TIMESTAMP allows at most 6 fractional digits. */
export function syslogTime(iso: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return new Date().toISOString();
  return `${m[1]}${m[2] ? m[2].slice(0, 7) : ''}${m[3]}`;
}

/** PRINTUSASCII without spaces, bounded, '-' when empty (RFC 5424 header fields). */
function headerField(s: string | undefined, max: number): string {
  const v = String(s ?? '')
    .replace(/[^\x21-\x7e]/g, '_')
    .slice(0, max);
  return v === '' ? '-' : v;
}

export interface SyslogHeader {
  facility: number;
  severity: number;
  time: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

export function rfc5424(h: SyslogHeader, msg: string): string {
  const pri = h.facility * 8 + h.severity;
  return (
    `<${pri}>1 ${syslogTime(h.time)} ${headerField(h.hostname, 255)} ${headerField(h.appName, 48)} ` +
    `${headerField(h.procId, 128)} ${headerField(h.msgId, 32)} - ${msg}`
  );
}

/** RFC 6587 octet counting: "LEN SP MSG", LEN in bytes. */
export function octetFrame(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
}

/** Cuts to at most max bytes without splitting a UTF-8 character. */
export function truncateUtf8(s: string, max: number): Buffer {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return buf;
  let end = max;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}
