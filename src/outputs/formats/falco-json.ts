/**
 * Falco's own JSON output, byte for byte (what falcosidekick and Falco parsers read): the keys
 * Falco writes and no others, in its order (nlohmann::json sorts object keys, so top-level keys and
 * `output_fields` are in byte order); `output` prefixed with the event time and priority as Falco
 * prints them (`21:00:00.001456789: Warning ...`, the host's local time); `output_fields` with
 * `evt.time` as integer nanoseconds since the epoch (beyond 2^53: written as digits, never through
 * a double); `tags` sorted (a std::set in Falco).
 */
import type { Alert, Priority } from '../../event/alert.js';
import type { AlertSummary } from '../sink.js';

type FieldValue = string | number | boolean | null;

interface FalcoDoc {
  hostname: string;
  /** Without the time prefix: falcoJson adds it. */
  message: string;
  output_fields: Record<string, FieldValue>;
  priority: Priority;
  rule: string;
  source: string;
  tags: readonly string[];
  /** RFC 3339 with nanoseconds, UTC. */
  time: string;
}

/** Nanoseconds since the epoch of an RFC 3339 time, exactly (a bigint: ns do not fit a double). */
export function epochNs(time: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  const ms = Date.parse(m ? `${m[1]}${m[3]}` : time);
  if (!Number.isFinite(ms)) return 0n;
  const frac = (m?.[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(frac);
}

/** The RFC 3339 time Falco writes: UTC, always nine fraction digits. */
function falcoTime(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** `%evt.time` as Falco prints it: local wall-clock time with nanoseconds. */
export function falcoClock(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const two = (n: number) => String(n).padStart(2, '0');
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${frac}`;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function serialise(doc: FalcoDoc): string {
  const ns = epochNs(doc.time);
  const fields = Object.keys(doc.output_fields)
    .filter((k) => k !== 'evt.time')
    .map((k) => [k, JSON.stringify(k) + ':' + JSON.stringify(doc.output_fields[k] ?? null)]);
  fields.push(['evt.time', `"evt.time":${ns}`]);
  fields.sort((a, b) => byteOrder(a[0], b[0]));
  const tags = [...new Set(doc.tags)].sort(byteOrder);
  const output = `${falcoClock(ns)}: ${doc.priority} ${doc.message}`;
  return (
    `{"hostname":${JSON.stringify(doc.hostname)},"output":${JSON.stringify(output)},` +
    `"output_fields":{${fields.map((f) => f[1]).join(',')}},"priority":${JSON.stringify(doc.priority)},` +
    `"rule":${JSON.stringify(doc.rule)},"source":${JSON.stringify(doc.source)},` +
    `"tags":${JSON.stringify(tags)},"time":${JSON.stringify(falcoTime(ns))}}`
  );
}

/** One alert as Falco's JSON output (json_output with every json_include_* at its default). */
export function falcoJson(a: Alert): string {
  return serialise({
    hostname: a.hostname,
    message: a.output,
    output_fields: a.output_fields,
    priority: a.priority,
    rule: a.rule,
    source: a.source,
    tags: a.tags,
    time: a.time,
  });
}

/** A summary in Falco's shape, so falcosidekick forwards it like any alert of that rule. */
export function falcoSummaryJson(s: AlertSummary, text: string): string {
  return serialise({
    hostname: s.hostname,
    message: text,
    output_fields: { 'vigil.suppressed': s.count, 'vigil.window_ms': s.window_ms },
    priority: s.priority,
    rule: s.rule,
    source: 'syscall',
    tags: ['vigil_summary'],
    time: s.last_time,
  });
}
