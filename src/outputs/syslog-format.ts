/**
 * Syslog message building: the RFC 5424 header, severity from the Falco priority, facilities,
 * RFC 6587 octet counting, and CEF (ArcSight's Common Event Format, read by ArcSight, QRadar and
 * Sentinel) as an alternative MSG body to the alert JSON.
 */
import { basename } from 'node:path';
import type { Alert } from '../event/alert.js';
import type { AlertSummary } from './output.js';
import { OutputConfigError, priorityRank, summaryText } from './output.js';

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

const CEF_SEVERITY = [10, 9, 8, 7, 6, 4, 3, 1];

function cefHeader(s: string): string {
  return String(s)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

function cefValue(v: unknown): string {
  return String(v).replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function extension(pairs: [string, unknown][]): string {
  return pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${cefValue(v)}`)
    .join(' ');
}

export function cefSeverity(priority: string): number {
  return CEF_SEVERITY[priorityRank(priority)];
}

/** CEF:0|vigil|vigil|version|rule|rule|severity|extension. */
export function cefAlert(a: Alert, version: string): string {
  const p = a.event?.proc;
  const fd = a.event?.fd;
  const ms = Date.parse(a.time);
  const pairs: [string, unknown][] = [
    ['rt', Number.isFinite(ms) ? ms : undefined],
    ['dvchost', a.hostname],
    ['externalId', a.uuid],
    ['act', a.action],
    ['cat', a.tags?.join(',')],
    ['msg', a.output],
    ['suser', a.event?.user?.name],
    ['suid', p?.uid],
    ['spid', p?.pid],
    ['sproc', p?.name],
    ['cs1Label', p ? 'cmdline' : undefined],
    ['cs1', p?.cmdline],
    ['cs2Label', p?.container_id ? 'containerId' : undefined],
    ['cs2', p?.container_id],
    ['cs3Label', p?.ancestors?.length ? 'parentProcess' : undefined],
    ['cs3', p?.ancestors?.[0] ? `${p.ancestors[0].exe} (${p.ancestors[0].pid})` : undefined],
    ['cs4Label', p?.exe ? 'exe' : undefined],
    ['cs4', p?.exe],
    ['cs5Label', 'evtType'],
    ['cs5', a.event?.type],
  ];
  if (fd && (fd.type === 'file' || fd.type === 'directory' || fd.type === 'memfd')) {
    pairs.push(['filePath', fd.name], ['fname', basename(fd.name)]);
  } else if (fd && (fd.type === 'ipv4' || fd.type === 'ipv6')) {
    const [src, spt, dst, dpt] = fd.is_server
      ? [fd.rip, fd.rport, fd.lip, fd.lport]
      : [fd.lip, fd.lport, fd.rip, fd.rport];
    const v6 = fd.type === 'ipv6';
    pairs.push([v6 ? 'c6a2' : 'src', src], ['spt', spt], [v6 ? 'c6a3' : 'dst', dst], ['dpt', dpt]);
    if (fd.l4proto) pairs.push(['proto', fd.l4proto.toUpperCase()]);
  }
  const h = ['CEF:0', 'vigil', 'vigil', version, a.rule, a.rule, String(cefSeverity(a.priority))].map(
    (x, i) => (i === 0 ? x : cefHeader(x)),
  );
  return `${h.join('|')}|${extension(pairs)}`;
}

export function cefSummary(s: AlertSummary, version: string): string {
  const h = [
    'CEF:0',
    'vigil',
    'vigil',
    version,
    'vigil-summary',
    s.rule,
    String(cefSeverity(s.priority)),
  ].map((x, i) => (i === 0 ? x : cefHeader(x)));
  const ms = Date.parse(s.last_time);
  return `${h.join('|')}|${extension([
    ['rt', Number.isFinite(ms) ? ms : undefined],
    ['dvchost', s.hostname],
    ['cnt', s.count],
    ['msg', summaryText(s)],
  ])}`;
}
