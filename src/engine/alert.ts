/**
 * One function builds the alert of DESIGN.md from a matched rule and its
 * event. Called per alert, never per event: rendering allocates.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Alert } from '../event/alert.js';
import { eventForAlert } from '../event/redact.js';
import type { VigilEvent } from '../event/types.js';
import { renderOutput } from './output.js';
import type { CompiledRule } from './rules/compile.js';

const HOST = osHostname();

/** RFC 3339 UTC with nanoseconds, from ns since the epoch. */
export function formatEventTime(ts: number): string {
  const ns = BigInt(Math.round(ts));
  const seconds = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${frac}Z`;
}

export function buildAlert(rule: CompiledRule, ev: VigilEvent, hostname: string = HOST): Alert {
  const { output, fields } = renderOutput(rule.output, ev);
  return {
    uuid: randomUUID(),
    time: formatEventTime(ev.ts),
    hostname,
    rule: rule.name,
    priority: rule.priority,
    source: 'syscall',
    tags: [...rule.tags],
    output,
    output_fields: fields,
    action: 'alert',
    event: eventForAlert(ev),
  };
}
