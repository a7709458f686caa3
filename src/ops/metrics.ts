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
import { VIGIL_COMMIT, VIGIL_VERSION } from '../outputs/version.js';
import { BucketCounts, CounterMap } from './plain-counters.js';
import type { MetadataCacheStats } from '../sensor/runtime/metadata-cache.js';
import type { MetadataWaitStats } from '../agent/metadata-wait.js';
import { containerMetrics } from './container-metrics.js';

/** Evaluation time buckets, seconds: 1 µs to 10 ms (a rule set evaluates an event in microseconds). */
export const EVALUATION_BUCKETS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2];

export interface SinkStats {
  sink: string;
  /** Alerts the destination acknowledged. */
  delivered: number;
  /** Alerts the sink gave up on: refused, out of attempts, or pushed out of a full queue. */
  failed: number;
  /** Alerts sent over a transport that acknowledges nothing (syslog over UDP). */
  sent?: number;
  /** Sends that failed, each attempt counted. */
  sendFailures?: number;
  /** Alerts this sink still owes, each counted once. */
  pending?: number;
  healthy?: boolean;
}

/** What vigil_build_info says: the running build. */
export interface BuildInfo {
  version: string;
  /** The git commit built from, when known. */
  commit?: string;
}

/**
 * prom-client's default metrics that `promtool check metrics` refuses (gauges named `_total`); each
 * is the sum of a per-type gauge that stays (nodejs_active_handles{type} ...).
 */
export const LINT_REFUSED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface MetricSources {
  /** Events the kernel could not put in the ring buffer (cumulative). */
  kernelDrops?: () => number;
  /** Current depth of each user-space queue, by name. */
  queueDepths?: () => Record<string, number>;
  processTableSize?: () => number;
  sinks?: () => SinkStats[];
  /** Events publishing (a `nats` sink's `events`): published and dropped, by sink. */
  eventsPublished?: () => { sink: string; published: number; dropped: number }[];
  rulesLoaded?: () => number;
  /** Container metadata: the runtimes' cache and the events held for it. */
  containers?: () => { cache?: MetadataCacheStats; waits: MetadataWaitStats };
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

/** vigil_build_info, always 1: the running build (the agent's and the hub's registries alike). */
export function buildInfoGauge(registry: Registry, build: BuildInfo): void {
  new Gauge({
    name: 'vigil_build_info',
    help: 'The running build: vigil version, Node.js version, git commit (unknown when not known); always 1',
    labelNames: ['version', 'node_version', 'commit'],
    registers: [registry],
  }).set(
    { version: build.version, node_version: process.versions.node, commit: build.commit ?? 'unknown' },
    1,
  );
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

  constructor(opts: { processMetrics?: boolean; build?: BuildInfo } = {}) {
    const r = this.registry;
    buildInfoGauge(r, opts.build ?? { version: VIGIL_VERSION, commit: VIGIL_COMMIT });
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
    const sinks = () => this.sources.sinks?.() ?? [];
    mirroredCounter(
      r,
      'vigil_sink_deliveries_total',
      'Alerts the destination acknowledged, by sink',
      'sink',
      () => sinks().map((s) => [s.sink, s.delivered]),
    );
    mirroredCounter(
      r,
      'vigil_sink_sent_total',
      'Alerts sent over a transport that acknowledges nothing (syslog over UDP), by sink',
      'sink',
      () => sinks().flatMap((s) => (s.sent === undefined ? [] : [[s.sink, s.sent] as [string, number]])),
    );
    mirroredCounter(
      r,
      'vigil_sink_failures_total',
      'Alerts a sink gave up on (refused, out of attempts, or pushed out of a full queue), by sink',
      'sink',
      () => sinks().map((s) => [s.sink, s.failed]),
    );
    mirroredCounter(
      r,
      'vigil_sink_send_failures_total',
      'Sends that failed, each attempt counted (retries included), by sink',
      'sink',
      () =>
        sinks().flatMap((s) =>
          s.sendFailures === undefined ? [] : [[s.sink, s.sendFailures] as [string, number]],
        ),
    );
    const published = () => this.sources.eventsPublished?.() ?? [];
    mirroredCounter(
      r,
      'vigil_events_published_total',
      'Events published for the hub (a nats sink with events enabled), by sink',
      'sink',
      () => published().map((s) => [s.sink, s.published]),
    );
    mirroredCounter(
      r,
      'vigil_events_publish_dropped_total',
      'Events not published (queue full or publish failed; detection never waits), by sink',
      'sink',
      () => published().map((s) => [s.sink, s.dropped]),
    );
    const sources = () => this.sources;
    new Gauge({
      name: 'vigil_sink_pending',
      help: 'Alerts a sink still owes, each counted once (memory queue, batch in flight, stored backlog), by sink',
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
    containerMetrics(r, () => this.sources.containers?.());
    gauge('vigil_ready', '1 once every probe is attached', () => (this.ready ? 1 : 0));
    if (opts.processMetrics ?? true) {
      collectDefaultMetrics({ register: r });
      for (const name of LINT_REFUSED_DEFAULTS) r.removeSingleMetric(name);
    }
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
