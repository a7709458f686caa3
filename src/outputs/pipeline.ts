/**
 * openOutputs(): the alert pipeline `vigil run` drives. submit() is synchronous and cheap: alerts
 * gather until the end of the event-loop turn (or commit_batch of them), are serialised once, are
 * committed to SQLite by the store's writer thread (store/store-writer.ts) in one transaction, then
 * handed to every durable sink's runner, in submission order (commit-queue.ts). A sink without an
 * outbox (stdout by default, or `durable: false`) gets the serialised alerts at once, without
 * waiting for the commit: it keeps no delivery record the commit could protect, and a commit that
 * meets a checkpoint's fsync takes milliseconds the terminal would wait for. The event loop never
 * waits for the disk. If the store fails (disk full, read-only file) that is reported in health()
 * and the log, and the alerts still go to the sinks (store/store-link.ts).
 */
import { setImmediate as nextTurn } from 'node:timers';
import type { Logger } from 'pino';
import type { Alert } from '../event/alert.js';
import { CommitQueue, type Chunk } from './commit-queue.js';
import type { OutputsConfig, SinkConfig } from './config.js';
import { assertOutputsConfig, sinkNames } from './config-check.js';
import { parsePriority, priorityRank } from './priority.js';
import type { QueuedAlert } from './queued-alert.js';
import { Redactor } from './redactor.js';
import { SinkRunner, type SinkHealth, type StoreAccess } from './sink-runner.js';
import { createSink, sinkDefaults, urgentRank } from './sinks/sink-factory.js';
import { RowPacker } from './store/packed-rows.js';
import { StoreLink, type StoreHealth, type StoreTamper } from './store/store-link.js';

export interface OutputsHealth {
  store: StoreHealth;
  sinks: SinkHealth[];
}

export interface Outputs {
  /**
   * Never blocks detection: queues the alert. It is serialised at the end of this event-loop turn
   * (and handed to the sinks without an outbox), committed within COMMIT_WAIT_MS (commit-queue.ts).
   */
  submit(alert: Alert): void;
  health(): OutputsHealth;
  /** Commits what is pending and lets sinks drain (up to close_timeout_ms). For SIGTERM. */
  close(): Promise<void>;
}

export interface OpenOutputsOptions {
  /** Whether stdout is a terminal (default process.stdout.isTTY): picks the stdout sink's format. */
  isTTY?: boolean;
  /**
   * The store file was deleted, replaced or moved; a fresh store is open at the path and health
   * says `tampered`. The agent raises its alert from here (submitting it to these outputs).
   */
  onStoreTampered?: (t: StoreTamper) => void;
}

/**
 * Alerts serialised at once when more are submitted in one turn: a burst of a thousand alerts and
 * their JSON outgrows the agent's 2 MB semi-space, and whatever a scavenge finds alive is copied
 * (and promoted at the second one). Commits still gather up to commit_batch.
 */
const FLUSH_AT = 256;
/** Alerts waiting for the writer, at most; past that they go to the sinks unstored. */
const MAX_PENDING = 100_000;

export async function openOutputs(
  config: OutputsConfig,
  logger: Logger,
  opts: OpenOutputsOptions = {},
): Promise<Outputs> {
  assertOutputsConfig(config);
  const redactor = new Redactor();
  const storeCfg = config.store ?? {};
  let runners: SinkRunner[] = [];
  const store = new StoreLink(storeCfg, logger, (t) => {
    // Ids start again in the fresh store: each durable sink restarts its cursor there.
    const undeliveredLost: Record<string, number> = {};
    for (const r of runners) {
      const lost = r.storeReplaced(t.lastId);
      if (lost > 0) undeliveredLost[r.name] = lost;
    }
    opts.onStoreTampered?.({ ...t, undeliveredLost });
  });
  await store.open();
  try {
    const sinks = config.sinks ?? [{ type: 'stdout' } as SinkConfig];
    const names = sinkNames(sinks) as string[]; // no duplicates: checked above
    const runnerOpts = { ...opts, fsync: storeCfg.synchronous === 'full' };
    runners = sinks.map((cfg, i) => buildRunner(cfg, i, names[i], store, logger, redactor, runnerOpts));
  } catch (err) {
    await store.close();
    throw err;
  }
  for (const r of runners) r.start();
  store.runRetention();
  const commitBatch = Math.max(1, config.commit_batch ?? 1000);
  return new OutputsPipeline(store, runners, commitBatch, config.close_timeout_ms ?? 5000, logger);
}

/** The pipeline's state once open: alerts pending serialisation, and where they go next. */
class OutputsPipeline implements Outputs {
  /** Submitted this turn, not serialised yet. */
  private pending: Alert[] = [];
  private scheduled = false;
  private closed = false;
  private behindWarned = false;
  /** The sinks without an outbox: they get alerts as soon as they are serialised. */
  private readonly atOnce: SinkRunner[];
  private readonly commits: CommitQueue;
  /** Whether anything reads the packed rows (the store or a durable sink). */
  private readonly packing: boolean;

  constructor(
    private readonly store: StoreLink,
    private readonly runners: SinkRunner[],
    private readonly commitBatch: number,
    private readonly closeTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    const durable = runners.filter((r) => r.isDurable);
    this.atOnce = runners.filter((r) => !r.isDurable);
    this.commits = new CommitQueue(store, durable, commitBatch, logger);
    this.packing = store.enabled || durable.length > 0;
  }

  submit(alert: Alert): void {
    if (this.closed) return;
    this.pending.push(alert);
    if (this.pending.length + this.commits.waiting >= MAX_PENDING) {
      // The disk cannot keep up: memory stays bounded and the alerts still reach the sinks.
      if (!this.behindWarned)
        this.logger.error({ db: this.store.path }, 'alert store too slow: alerts delivered unstored');
      this.behindWarned = true;
      this.flush(true);
    } else if (this.pending.length >= Math.min(this.commitBatch, FLUSH_AT)) this.flush();
    else this.schedule();
  }

  health(): OutputsHealth {
    return { store: this.store.health(), sinks: this.runners.map((r) => r.health()) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commits.startClosing();
    while (this.pending.length > 0 || this.commits.busy) {
      this.flush();
      this.commits.save();
      await this.commits.settled;
      await new Promise((r) => nextTurn(r));
    }
    await this.commits.settled;
    this.store.stopRetention();
    const deadline = Date.now() + this.closeTimeoutMs;
    await Promise.all(this.runners.map((r) => r.close(deadline)));
    await this.store.close();
  }

  /**
   * Serialises up to commitBatch pending alerts, hands them to the sinks without an outbox and
   * queues them for their commit (skipStore: straight to every sink, unstored).
   */
  private flush(skipStore = false): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const take =
      this.pending.length <= this.commitBatch ? this.pending : this.pending.slice(0, this.commitBatch);
    this.pending = take === this.pending ? [] : this.pending.slice(this.commitBatch);
    const now = Date.now();
    const { items, packer } = this.serialise(take, now);
    if (this.pending.length > 0) this.schedule();
    try {
      if (items && items.length > 0) for (const r of this.atOnce) r.enqueue(items);
    } catch (err) {
      this.logger.error({ err: String(err) }, 'alerts not handed to sinks');
    }
    if (packer.count === 0) return;
    this.store.reopenIfDue();
    const chunk: Chunk = { count: packer.count, at: now, rows: packer.finish() };
    if (skipStore || !this.store.writer()) this.commits.skipStore(chunk);
    else this.commits.add(chunk);
  }

  /**
   * Each alert's JSON, once: as a string for the sinks without an outbox (they write it at once,
   * while its packed copy may be with the writer thread), and packed for the rest, so the alert
   * objects and their JSON strings die young.
   */
  private serialise(alerts: Alert[], now: number): { items?: QueuedAlert[]; packer: RowPacker } {
    const items: QueuedAlert[] | undefined = this.atOnce.length > 0 ? [] : undefined;
    const packer = new RowPacker(alerts.length);
    for (const alert of alerts) {
      let json: string;
      try {
        json = JSON.stringify(alert);
      } catch (err) {
        // An alert that cannot be serialised (a bug upstream) must not take the others down.
        this.logger.error({ rule: alert?.rule, err: String(err) }, 'alert dropped: not serialisable');
        continue;
      }
      items?.push({ rank: priorityRank(alert.priority), alert, json, at: now });
      if (this.packing) packer.add(alert, json);
    }
    return { items, packer };
  }

  /** Flushes at the end of this event-loop turn. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    nextTurn(() => this.flush());
  }
}

function buildRunner(
  cfg: SinkConfig,
  index: number,
  name: string,
  db: StoreAccess,
  logger: Logger,
  redactor: Redactor,
  opts: OpenOutputsOptions & { fsync: boolean },
): SinkRunner {
  const where = `outputs.sinks[${index}] (${name})`;
  const d = sinkDefaults(cfg.type);
  const sink = createSink(cfg, {
    where,
    logger,
    redactor,
    isTTY: opts.isTTY ?? !!process.stdout.isTTY,
    fsync: opts.fsync,
  });
  const windowMs = cfg.rate_limit?.window_ms ?? (cfg.dedup_window_ms || 60_000);
  return new SinkRunner(
    sink,
    {
      name,
      type: cfg.type,
      minRank: priorityRank(cfg.min_priority ? parsePriority(cfg.min_priority) : 'Debug'),
      batchMax: Math.max(1, cfg.batch?.max_size ?? d.max_size),
      batchWaitMs: Math.max(0, cfg.batch?.max_wait_ms ?? d.max_wait_ms),
      retryInitialMs: Math.max(1, cfg.retry?.initial_ms ?? 500),
      retryMaxMs: Math.max(1, cfg.retry?.max_ms ?? 30_000),
      maxAttempts: Math.max(0, cfg.retry?.max_attempts ?? 0),
      queueSize: Math.max(1, cfg.queue_size ?? 10_000),
      durable: cfg.durable ?? d.durable,
      throttle: { maxPerRule: cfg.rate_limit?.max ?? 0, dedupWindowMs: cfg.dedup_window_ms ?? 0, windowMs },
      sendIntervalMs: Math.max(0, cfg.send_interval_ms ?? d.send_interval_ms),
      urgentRank: urgentRank(cfg),
    },
    db,
    logger,
    redactor,
  );
}
