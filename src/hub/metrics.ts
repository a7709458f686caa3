/**
 * The hub's Prometheus metrics (served on /metrics by ./http-server.ts): what it stored, what it
 * refused, store errors, and the consumer's lag as JetStream reports it. Ingest rate is
 * `rate(vigil_hub_alerts_stored_total[1m])`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfoGauge, LINT_REFUSED_DEFAULTS } from '../ops/metrics.js';
import { VIGIL_COMMIT, VIGIL_VERSION } from '../outputs/version.js';

/** The consumer's backlog, from JetStream's consumer info. */
export interface ConsumerLag {
  /** Messages on the stream the consumer has not been sent yet. */
  pending: number;
  /** Messages sent to a hub and not acknowledged yet. */
  ackPending: number;
  /** Messages sent again after a hub did not acknowledge them in time. */
  redelivered: number;
}

export class HubMetrics {
  readonly registry = new Registry();
  readonly stored: Counter<string>;
  readonly duplicates: Counter<string>;
  readonly refused: Counter<'reason'>;
  readonly storeErrors: Counter<string>;
  readonly batchSeconds: Histogram<string>;
  private lag: () => ConsumerLag | undefined = () => undefined;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const r = this.registry;
    buildInfoGauge(r, { version: VIGIL_VERSION, commit: VIGIL_COMMIT });
    this.stored = new Counter({
      name: 'vigil_hub_alerts_stored_total',
      help: 'Alerts stored for the first time',
      registers: [r],
    });
    this.duplicates = new Counter({
      name: 'vigil_hub_alerts_duplicate_total',
      help: 'Alerts received again (a redelivery) and already stored',
      registers: [r],
    });
    this.refused = new Counter({
      name: 'vigil_hub_messages_refused_total',
      help: 'Messages terminated without being stored, by reason (malformed, oversized)',
      labelNames: ['reason'],
      registers: [r],
    });
    this.storeErrors = new Counter({
      name: 'vigil_hub_store_errors_total',
      help: 'Batches the store failed to commit (retried after a pause)',
      registers: [r],
    });
    this.batchSeconds = new Histogram({
      name: 'vigil_hub_store_batch_seconds',
      help: 'Time to commit one batch of alerts to the store',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [r],
    });
    const lag = () => this.lag();
    const lagGauge = (name: string, help: string, pick: (l: ConsumerLag) => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          const l = lag();
          if (l !== undefined) this.set(pick(l));
        },
      });
    lagGauge(
      'vigil_hub_consumer_pending',
      'Messages of the stream not yet delivered to any hub',
      (l) => l.pending,
    );
    lagGauge(
      'vigil_hub_consumer_ack_pending',
      'Messages delivered and not yet acknowledged',
      (l) => l.ackPending,
    );
    lagGauge('vigil_hub_consumer_redelivered', 'Messages being delivered again', (l) => l.redelivered);
    if (opts.processMetrics ?? true) {
      collectDefaultMetrics({ register: r });
      for (const name of LINT_REFUSED_DEFAULTS) r.removeSingleMetric(name);
    }
  }

  /** Where the consumer's lag is read at each scrape (the last consumer info). */
  setLagSource(read: () => ConsumerLag | undefined): void {
    this.lag = read;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
