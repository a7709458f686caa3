/**
 * The one sink interface. Every destination (stdout, file, Slack, email, syslog, HTTP) implements
 * `Output`; the delivery path (delivery.ts) owns batching, retries, rate limits, dedup, priority
 * thresholds and health, so a sink only turns a batch into its wire format and sends it.
 */
import { PRIORITIES, type Alert, type Priority } from '../event/alert.js';

/** "N more alerts from rule X": what a sink receives instead of the alerts a window suppressed. */
export interface AlertSummary {
  rule: string;
  /** Alerts suppressed (rate limit or dedup) in the window. */
  count: number;
  /** The most severe priority among them. */
  priority: Priority;
  hostname: string;
  /** `time` of the first and last suppressed alert (RFC 3339). */
  first_time: string;
  last_time: string;
  window_ms: number;
}

/** One entry of a batch: an alert, or a summary of suppressed alerts. */
export type DeliveryItem =
  /**
   * `json`: the alert JSON, serialised once for the store and every sink; `bytes`: the same as
   * UTF-8 when the alert is still packed (a byte-writing sink need not decode it).
   */
  | { alert: Alert; summary?: undefined; json?: string; bytes?: Uint8Array }
  | { summary: AlertSummary; alert?: undefined; json?: undefined; bytes?: undefined };

export interface Delivery {
  /**
   * Stable across restarts for a batch that was in flight when the agent died (HTTP sinks send it
   * as `Idempotency-Key`), so a receiver can drop a resend it had already acknowledged.
   */
  id: string;
  items: DeliveryItem[];
}

export interface Output {
  /** Sends one batch; resolves once the destination acknowledged it. Throws DeliveryError. */
  send(delivery: Delivery): Promise<void>;
  /** Releases connections and flushes buffers. */
  close(): Promise<void>;
}

/** A failed send. `retryable: false` drops the batch (e.g. HTTP 400) instead of retrying it forever. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** A configuration mistake, reported at start-up before any alert flows. */
export class OutputConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputConfigError';
  }
}

/** 0 = Emergency (most severe) … 7 = Debug; unknown spellings rank as Debug. */
export function priorityRank(p: string): number {
  const i = (PRIORITIES as readonly string[]).indexOf(p);
  return i < 0 ? PRIORITIES.length - 1 : i;
}

export function parsePriority(s: string): Priority {
  const hit = PRIORITIES.find((p) => p.toLowerCase() === s.toLowerCase());
  if (hit) return hit;
  if (s.toLowerCase() === 'info') return 'Informational';
  throw new OutputConfigError(`unknown priority "${s}" (one of ${PRIORITIES.join(', ')})`);
}

export function summaryText(s: AlertSummary): string {
  const secs = Math.round(s.window_ms / 1000);
  return `${s.count} more alert${s.count === 1 ? '' : 's'} from rule "${s.rule}" in the last ${secs}s (suppressed by rate limit or dedup)`;
}
