/**
 * CEF (ArcSight's Common Event Format, read by ArcSight, QRadar and Sentinel): the syslog sink's
 * alternative MSG body to the alert JSON.
 */
import { basename } from 'node:path';
import type { Alert } from '../../event/alert.js';
import { priorityRank } from '../priority.js';
import type { AlertSummary } from '../sink.js';
import { summaryText } from './alert-text.js';

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
