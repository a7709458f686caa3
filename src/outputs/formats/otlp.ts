/**
 * OpenTelemetry logs, OTLP/HTTP JSON (the protobuf JSON mapping of ExportLogsServiceRequest, as
 * the OTLP specification gives it): one LogRecord per alert, its body the alert's output, its
 * severity from the priority, its attributes the rule, uuid, action, tags and the process,
 * container and pod in OpenTelemetry's semantic-convention names; one ResourceLogs per host with
 * `host.name` and `service.name=vigil`. Written here rather than with @opentelemetry/otlp-transformer:
 * that serialiser takes SDK log records (the whole logs SDK, some 3 MB with its dependencies) to
 * produce the same few dozen lines of JSON.
 */
import type { Alert, Priority } from '../../event/alert.js';
import type { AlertSummary } from '../sink.js';
import { summaryText } from './alert-text.js';

/** OTLP SeverityNumber: DEBUG 5, INFO 9, INFO2 10, WARN 13, ERROR 17, FATAL 21..24. */
const SEVERITY: Record<Priority, number> = {
  Emergency: 24,
  Alert: 23,
  Critical: 21,
  Error: 17,
  Warning: 13,
  Notice: 10,
  Informational: 9,
  Debug: 5,
};

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { boolValue: boolean }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };
interface KeyValue {
  key: string;
  value: AnyValue;
}

function anyValue(v: string | number | boolean | string[]): AnyValue {
  if (Array.isArray(v)) return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: v };
}

function attrs(o: Record<string, string | number | boolean | string[] | undefined | null>): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(o))
    if (v !== undefined && v !== null && v !== '') out.push({ key, value: anyValue(v) });
  return out;
}

/** RFC 3339 with up to nanoseconds as Unix nanoseconds (a decimal string, as OTLP JSON writes int64). */
export function unixNanos(iso: string): string {
  const m = /^(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  const ms = Date.parse(m ? `${m[1]}${m[3]}` : iso);
  if (!Number.isFinite(ms)) return String(BigInt(Date.now()) * 1_000_000n);
  const frac = BigInt((m?.[2] ?? '').padEnd(9, '0'));
  return String(BigInt(ms) * 1_000_000n + frac);
}

function alertRecord(a: Alert, observed: string): object {
  const ev = a.event;
  const c = ev.container;
  return {
    timeUnixNano: unixNanos(a.time),
    observedTimeUnixNano: observed,
    severityNumber: SEVERITY[a.priority],
    severityText: a.priority,
    body: { stringValue: a.output },
    eventName: 'vigil.alert',
    attributes: attrs({
      'vigil.rule': a.rule,
      'vigil.uuid': a.uuid,
      'vigil.priority': a.priority,
      'vigil.action': a.action,
      'vigil.source': a.source,
      'vigil.tags': a.tags,
      'vigil.evt.type': ev.type,
      'process.pid': ev.proc.pid,
      'process.parent_pid': ev.proc.ppid,
      'process.executable.name': ev.proc.name,
      'process.executable.path': ev.proc.exe,
      'process.command_line': ev.proc.cmdline,
      'process.working_directory': ev.proc.cwd,
      'process.owner': ev.user.name,
      'user.id': String(ev.user.uid),
      'user.name': ev.user.name,
      'file.path': ev.fd && (ev.fd.type === 'file' || ev.fd.type === 'directory') ? ev.fd.name : undefined,
      'container.id': c?.id,
      'container.name': c?.name,
      'container.image.name': c?.image_repository ?? c?.image,
      'container.image.tags': c?.image_tag ? [c.image_tag] : undefined,
      'k8s.pod.name': c?.pod?.name,
      'k8s.pod.uid': c?.pod?.uid,
      'k8s.namespace.name': c?.pod?.namespace,
      ...Object.fromEntries(Object.entries(a.output_fields).map(([k, v]) => [`vigil.field.${k}`, v])),
    }),
  };
}

function summaryRecord(s: AlertSummary, observed: string): object {
  return {
    timeUnixNano: unixNanos(s.last_time),
    observedTimeUnixNano: observed,
    severityNumber: SEVERITY[s.priority],
    severityText: s.priority,
    body: { stringValue: summaryText(s) },
    eventName: 'vigil.summary',
    attributes: attrs({ 'vigil.rule': s.rule, 'vigil.suppressed': s.count, 'vigil.window_ms': s.window_ms }),
  };
}

/** One ExportLogsServiceRequest for a batch: a ResourceLogs per host, in the order hosts appear. */
export function otlpLogsRequest(
  items: readonly { alert?: Alert; summary?: AlertSummary }[],
  version: string,
): string {
  const observed = unixNanos(new Date().toISOString());
  const byHost = new Map<string, object[]>();
  for (const it of items) {
    const host = it.alert ? it.alert.hostname : it.summary!.hostname;
    let records = byHost.get(host);
    if (!records) byHost.set(host, (records = []));
    records.push(it.alert ? alertRecord(it.alert, observed) : summaryRecord(it.summary!, observed));
  }
  const resourceLogs = [...byHost].map(([host, logRecords]) => ({
    resource: {
      attributes: attrs({
        'host.name': host,
        'service.name': 'vigil',
        'service.version': version,
        'os.type': 'linux',
      }),
    },
    scopeLogs: [{ scope: { name: 'vigil', version }, logRecords }],
  }));
  return JSON.stringify({ resourceLogs });
}
