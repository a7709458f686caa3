/**
 * The one sink interface. Every destination (stdout, file, Slack, email, syslog, HTTP) implements
 * `Sink`; the delivery path (sink-runner.ts) owns batching, retries, rate limits, dedup, priority
 * thresholds and health, so a sink only turns a batch into its wire format and sends it.
 */
import type { Alert, Priority } from '../event/alert.js';

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

export interface Sink {
  /**
   * False for a transport with no acknowledgement at all (syslog over UDP): a send that resolved
   * only means the datagrams left the host, so the runner counts them as `sent`, not `delivered`.
   */
  readonly acknowledged?: boolean;
  /** Sends one batch; resolves once the destination acknowledged it. Throws DeliveryError. */
  send(delivery: Delivery): Promise<void>;
  /** Releases connections and flushes buffers. */
  close(): Promise<void>;
}

/**
 * A failed send. `retryable: false` drops the batch (e.g. HTTP 400) instead of retrying it forever.
 * `retryAfterMs`: the destination said when to come back (HTTP `Retry-After`); the runner waits
 * that long instead of its own backoff.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
