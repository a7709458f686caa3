/**
 * Payload shapes for the HTTP sink: generic webhook, Splunk HEC, Elasticsearch _bulk, and Falco's
 * own HTTP output (what falcosidekick listens for). Each takes the already transformed documents.
 */
import type { Alert } from '../event/alert.js';
import type { AlertSummary } from './output.js';

/** The keys Falco's http_output posts (falcosidekick's FalcoPayload), taken from the alert JSON. */
export function falcoPayload(a: Alert): Record<string, unknown> {
  return {
    uuid: a.uuid,
    output: a.output,
    priority: a.priority,
    rule: a.rule,
    time: a.time,
    output_fields: a.output_fields,
    source: a.source,
    tags: a.tags,
    hostname: a.hostname,
  };
}

/** A summary in Falco's shape, so falcosidekick forwards it like any alert of that rule. */
export function falcoSummaryPayload(s: AlertSummary, text: string): Record<string, unknown> {
  return {
    output: text,
    priority: s.priority,
    rule: s.rule,
    time: s.last_time,
    output_fields: { 'vigil.suppressed': s.count, 'vigil.window_ms': s.window_ms },
    source: 'syscall',
    tags: ['vigil_summary'],
    hostname: s.hostname,
  };
}

export interface HecOptions {
  sourcetype: string;
  index?: string;
}

/** One HEC event envelope (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector). */
export function hecEvent(doc: unknown, timeIso: string, host: string, o: HecOptions): string {
  const ms = Date.parse(timeIso);
  const env: Record<string, unknown> = {
    time: Number.isFinite(ms) ? ms / 1000 : Date.now() / 1000,
    host,
    source: 'vigil',
    sourcetype: o.sourcetype,
  };
  if (o.index) env.index = o.index;
  env.event = doc;
  return JSON.stringify(env);
}

/**
 * Two NDJSON lines of an Elasticsearch bulk request. `create` with the alert uuid as _id makes a
 * resend idempotent: an alert already indexed answers 409, which counts as delivered.
 */
export function bulkLines(index: string, id: string, doc: unknown): string {
  return `${JSON.stringify({ create: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`;
}

export interface BulkOutcome {
  /** Items Elasticsearch may accept later (429, 5xx). */
  retryable: number;
  /** Items it refused for good (mapping errors...), with the first reason. */
  refused: number;
  firstReason?: string;
}

/** Reads a _bulk response; 409 (already exists) counts as success. */
export function bulkOutcome(body: string): BulkOutcome {
  const out: BulkOutcome = { retryable: 0, refused: 0 };
  let res: {
    errors?: boolean;
    items?: Record<string, { status?: number; error?: { type?: string; reason?: string } }>[];
  };
  try {
    res = JSON.parse(body);
  } catch {
    return out;
  }
  if (!res.errors) return out;
  for (const item of res.items ?? []) {
    const r = Object.values(item)[0];
    const status = r?.status ?? 0;
    if (status < 300 || status === 409) continue;
    if (status === 429 || status >= 500) out.retryable++;
    else {
      out.refused++;
      out.firstReason ??= `${status} ${r?.error?.type ?? ''} ${r?.error?.reason ?? ''}`.trim();
    }
  }
  return out;
}
