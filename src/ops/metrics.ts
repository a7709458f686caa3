/**
 * vigil's Prometheus metrics, in their own prom-client Registry.
 *
 * Two kinds of inputs, both cheap for the agent:
 * - hot-path counters (events, rule matches, evaluation time): plain numbers the
 *   agent bumps through the methods below; copied into prom-client at scrape;
 * - sources: functions the agent registers for values that live elsewhere (kernel
 *   drops from the BPF stats map, queue depths, process-table size, sink stats);
 *   called once per scrape.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricType } from 'prom-client';
import { BucketCounts, CounterMap } from './plain-counters.js';

/** Evaluation time buckets, seconds: 1 µs to 10 ms (a rule set evaluates an event in microseconds). */
export const EVALUATION_BUCKETS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2];

export interface SinkStats {
  sink: string;
  delivered: number;
  failed: number;
  /** Alerts waiting for this sink (its outbox backlog). */
  pending?: number;
  healthy?: boolean;
}

export interface MetricSources {
  /** Events the kernel could not put in the ring buffer (cumulative). */
  kernelDrops?: () => number;
  /** Current depth of each user-space queue, by name. */
  queueDepths?: () => Record<string, number>;
  processTableSize?: () => number;
  sinks?: () => SinkStats[];
  rulesLoaded?: () => number;
}

type HistogramSnapshot = Awaited<ReturnType<Histogram<string>['get']>>;

/** Exposes a prom-client Histogram whose data are BucketCounts filled elsewhere. */
class PlainHistogram extends Histogram<string> {
  constructor(
    registry: Registry,
    private readonly metricName: string,
    private readonly help: string,
    private readonly data: BucketCounts,
  ) {
    super({ name: metricName, help, buckets: [...data.bounds], registers: [registry] });
  }

  override async get(): Promise<HistogramSnapshot> {
    return this.getForPromString();
  }

  // prom-client's Registry renders from this method when a metric has one (lib/registry.js).
  async getForPromString(): Promise<HistogramSnapshot> {
    const bucket = `${this.metricName}_bucket`;
    const values: HistogramSnapshot['values'] = [];
    let cumulative = 0;
    this.data.bounds.forEach((le, i) => {
      cumulative += this.data.counts[i];
      values.push({ metricName: bucket, labels: { le }, value: cumulative });
    });
    values.push({ metricName: bucket, labels: { le: '+Inf' }, value: this.data.count });
    values.push({ metricName: `${this.metricName}_sum`, labels: {}, value: this.data.sum });
    values.push({ metricName: `${this.metricName}_count`, labels: {}, value: this.data.count });
    // prom-client's typings declare `type` as a numeric enum that its code never uses: it is the string.
    const type = 'histogram' as unknown as MetricType;
    return { name: this.metricName, help: this.help, type, aggregator: 'sum', collect: () => {}, values };
  }
}

/** A prom-client counter whose value is copied from `read()` at each scrape. */
function mirroredCounter(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => Iterable<[string, number]>,
): Counter<string> {
  return new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, n] of read()) this.inc({ [label]: value }, n);
    },
  });
}

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly received = new CounterMap();
  private readonly evaluated = new CounterMap();
  private readonly matches = new CounterMap();
  private readonly userDrops = new CounterMap();
  private readonly evaluation = new BucketCounts(EVALUATION_BUCKETS);
  private sources: MetricSources = {};
  private ready = false;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const r = this.registry;
    mirroredCounter(r, 'vigil_events_received_total', 'Events decoded from the kernel, by type', 'type', () =>
      this.received.entries(),
    );
    mirroredCounter(
      r,
      'vigil_events_evaluated_total',
      'Events handed to the rule engine (after the ignore list), by type',
      'type',
      () => this.evaluated.entries(),
    );
    mirroredCounter(r, 'vigil_events_dropped_total', 'Events lost, by where they were lost', 'where', () => {
      const kernel = this.sources.kernelDrops?.();
      const rows = [...this.userDrops.entries()];
      return kernel === undefined ? rows : [['kernel', kernel] as [string, number], ...rows];
    });
    mirroredCounter(r, 'vigil_rule_matches_total', 'Alerts raised, by rule', 'rule', () =>
      this.matches.entries(),
    );
    new PlainHistogram(r, 'vigil_rule_evaluation_seconds', 'Time to evaluate one event', this.evaluation);
    mirroredCounter(r, 'vigil_sink_deliveries_total', 'Alerts delivered, by sink', 'sink', () =>
      (this.sources.sinks?.() ?? []).map((s) => [s.sink, s.delivered]),
    );
    mirroredCounter(r, 'vigil_sink_failures_total', 'Failed delivery attempts, by sink', 'sink', () =>
      (this.sources.sinks?.() ?? []).map((s) => [s.sink, s.failed]),
    );
    const sources = () => this.sources;
    new Gauge({
      name: 'vigil_sink_pending',
      help: 'Alerts waiting for delivery, by sink',
      labelNames: ['sink'],
      registers: [r],
      collect() {
        this.reset();
        for (const s of sources().sinks?.() ?? [])
          if (s.pending !== undefined) this.set({ sink: s.sink }, s.pending);
      },
    });
    new Gauge({
      name: 'vigil_queue_depth',
      help: 'Items waiting in a user-space queue, by queue',
      labelNames: ['queue'],
      registers: [r],
      collect() {
        this.reset();
        for (const [queue, depth] of Object.entries(sources().queueDepths?.() ?? {}))
          this.set({ queue }, depth);
      },
    });
    const gauge = (name: string, help: string, read: () => number | undefined) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    gauge('vigil_process_table_size', 'Processes in the process table', () =>
      this.sources.processTableSize?.(),
    );
    gauge('vigil_rules_loaded', 'Rules loaded and enabled', () => this.sources.rulesLoaded?.());
    gauge('vigil_ready', '1 once every probe is attached', () => (this.ready ? 1 : 0));
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: r });
  }

  // Hot path: plain-number updates only.

  eventReceived(type: string, n = 1): void {
    this.received.add(type, n);
  }

  eventEvaluated(type: string, n = 1): void {
    this.evaluated.add(type, n);
  }

  /** Events dropped in user space (`where`: e.g. 'queue', 'decode'). Kernel drops come from a source. */
  eventsDropped(where: string, n = 1): void {
    this.userDrops.add(where, n);
  }

  ruleMatched(rule: string): void {
    this.matches.add(rule);
  }

  /**
   * Evaluation time of one event, in seconds. To time a batch instead, pass its
   * mean and the number of events (`times`): the histogram counts each event.
   */
  evaluationTime(seconds: number, times = 1): void {
    this.evaluation.observe(seconds, times);
  }

  // Scrape-time inputs.

  /** Registers (or replaces) the functions read at each scrape. */
  setSources(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** The exposition text, as /metrics serves it. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
