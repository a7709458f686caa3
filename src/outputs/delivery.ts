/**
 * The one delivery path every sink goes through: a bounded in-memory queue fed after each commit,
 * batching (size and wait), priority threshold, rate limit and dedup with summaries, retries with
 * exponential backoff and full jitter, and a health state. One runner per sink, each its own async
 * loop with at most one batch in flight, so a slow or failing sink only ever delays itself.
 *
 * Durable sinks keep their progress in the outbox (store.ts): the batch is recorded before it is
 * sent and the cursor advanced when the destination acknowledges it. When the memory queue
 * overflows, or after a restart, a durable sink reads what it still owes from the store.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert } from '../event/alert.js';
import type { AlertSummary, Delivery, DeliveryItem, Output } from './output.js';
import { DeliveryError } from './output.js';
import { jsonBytes, type PackedRows } from './packed.js';
import type { Redactor } from './secrets.js';
import type { AlertStore, InflightBatch, StoredAlert } from './store.js';
import type { StoreWriter } from './store-writer.js';
import { Throttle, backoffMs, type ThrottleOptions } from './throttle.js';

/** An alert as handed to the runners: `id` is its store row, absent when the store could not take it. */
export interface QueuedAlert {
  id?: number;
  rank: number;
  /** The alert and its JSON.stringify(alert), done once for the store and every sink... */
  alert?: Alert;
  /** (for durable sinks: without the alert, which is decoded when needed)... */
  json?: string;
  /** ...or, for durable sinks, the packed batch holding its JSON's bytes and its row there. */
  rows?: PackedRows;
  row?: number;
  /** When it was queued (ms), for the batch wait. */
  at: number;
}

/**
 * An alert without its object: still packed (the file sink writes its bytes), or its JSON text.
 * The text and the alert object are decoded only for a sink (or a throttle) that reads them.
 */
class LazyItem {
  readonly summary = undefined;
  private parsed?: Alert;
  constructor(
    private text: string | undefined,
    private readonly rows?: PackedRows,
    private readonly row = 0,
  ) {}

  get bytes(): Buffer | undefined {
    return this.rows && jsonBytes(this.rows, this.row);
  }

  get json(): string {
    return (this.text ??= jsonBytes(this.rows!, this.row).toString('utf8'));
  }

  get alert(): Alert {
    return (this.parsed ??= JSON.parse(this.json) as Alert);
  }
}

export interface SinkRunnerOptions {
  name: string;
  type: string;
  minRank: number;
  batchMax: number;
  batchWaitMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  queueSize: number;
  durable: boolean;
  throttle: ThrottleOptions;
}

export type SinkState = 'ok' | 'retrying' | 'failing' | 'closed';

export interface SinkHealth {
  name: string;
  type: string;
  state: SinkState;
  durable: boolean;
  /** Alerts waiting in memory. */
  queued: number;
  /** Stored alerts past this sink's cursor (durable sinks). */
  outboxLag: number;
  delivered: number;
  /** Alerts given up on: refused permanently, out of attempts, or pushed out of a full queue. */
  dropped: number;
  /** Held back by rate limit / dedup (and summarised). */
  suppressed: number;
  consecutiveFailures: number;
  lastError?: string;
  lastDeliveredAt?: string;
}

interface PlannedDelivery extends Delivery {
  /** Highest store id the batch covers (delivered or deliberately skipped). */
  lastId?: number;
  alertIds: number[];
  summaries: AlertSummary[];
  recorded: boolean;
}

/** How a runner reaches the store. */
export interface StoreAccess {
  /** Reads, on the event loop's connection (WAL readers never wait for the writer); null: no store. */
  store(): AlertStore | null;
  /** Writes: the outbox's progress is committed on the store's writer thread. */
  writer(): StoreWriter | null;
  /** The newest alert id committed (without a query: health() is called often). */
  newestId(): number;
}

const FAILING_AFTER = 3;

export class SinkRunner {
  private queue: QueuedAlert[] = [];
  private head = 0;
  private backlog = false;
  private cursor = 0;
  private recovered?: InflightBatch;
  private summaries: AlertSummary[] = [];
  private readonly throttle: Throttle;
  private wake?: () => void;
  private closing = false;
  private closeDeadline = Infinity;
  private loopDone: Promise<void> = Promise.resolve();
  private durable: boolean;
  private stats = { delivered: 0, dropped: 0, suppressed: 0, failures: 0 };
  private state: SinkState = 'ok';
  private lastError?: string;
  private lastDeliveredAt?: string;

  constructor(
    private readonly output: Output,
    readonly opts: SinkRunnerOptions,
    private readonly db: StoreAccess,
    private readonly logger: Logger,
    private readonly redactor: Redactor,
  ) {
    this.throttle = new Throttle(opts.throttle);
    this.durable = opts.durable;
  }

  get name(): string {
    return this.opts.name;
  }

  /** Whether this sink keeps its progress in the outbox (known once start() has run). */
  get isDurable(): boolean {
    return this.durable;
  }

  /** Loads the outbox position (durable sinks) and starts the loop. */
  start(): void {
    const store = this.db.store();
    if (this.durable && store) {
      try {
        const max = store.maxId();
        const cursor = store.getCursor(this.name);
        if (cursor === undefined) {
          // A sink seen for the first time starts now; it does not receive the history.
          this.cursor = max;
          this.writeAck(max);
        } else {
          this.cursor = cursor;
        }
        this.recovered = store.getInflight(this.name);
        this.backlog = max > Math.max(this.cursor, this.recovered?.lastId ?? 0);
        if (this.recovered || this.backlog) {
          this.logger.info(
            { sink: this.name, cursor: this.cursor, newest: max, inflight: !!this.recovered },
            'sink resumes undelivered alerts from the outbox',
          );
        }
      } catch (err) {
        this.durable = false;
        this.logger.error(
          { sink: this.name, err: this.errText(err) },
          'outbox unreadable: sink runs without it',
        );
      }
    } else {
      this.durable = false;
    }
    this.loopDone = this.loop().catch((err) => {
      this.state = 'failing';
      this.lastError = this.errText(err);
      this.logger.error({ sink: this.name, err: this.lastError }, 'sink loop stopped');
    });
  }

  /**
   * Called with the same array for every sink, cheap and synchronous: for a durable sink after the
   * commit (ids set), for the others as soon as the alerts are serialised.
   */
  enqueue(items: readonly QueuedAlert[]): void {
    if (this.closing) return;
    // Packed alerts share their batch's buffer: a sink that keeps only some of them (min_priority)
    // takes their JSON out, or its queue of a few alerts each from many batches would hold them all.
    const some = items.some((it) => it.rank > this.opts.minRank);
    for (let item of items) {
      if (item.rank > this.opts.minRank) continue;
      if (some && item.rows) {
        const { id, rank, at } = item;
        item = { id, rank, at, json: jsonBytes(item.rows, item.row!).toString('utf8') };
      }
      if (this.backlog && item.id !== undefined) continue; // read from the store when the sink catches up
      if (this.queue.length - this.head >= this.opts.queueSize) {
        if (this.durable && item.id !== undefined && this.db.store()) {
          this.enterBacklog();
          continue;
        }
        this.head++;
        this.stats.dropped++;
      }
      this.queue.push(item);
    }
    this.compact();
    this.wake?.();
  }

  health(): SinkHealth {
    let outboxLag = 0;
    if (this.durable) {
      try {
        outboxLag = Math.max(0, this.db.newestId() - this.cursor);
      } catch {
        // the store's own health reports why
      }
    }
    return {
      name: this.name,
      type: this.opts.type,
      state: this.state,
      durable: this.durable,
      queued: this.queue.length - this.head,
      outboxLag,
      delivered: this.stats.delivered,
      dropped: this.stats.dropped,
      suppressed: this.stats.suppressed,
      consecutiveFailures: this.stats.failures,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastDeliveredAt !== undefined ? { lastDeliveredAt: this.lastDeliveredAt } : {}),
    };
  }

  /** Drains what it can until the deadline; a durable sink leaves the rest in the outbox. */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    this.closeDeadline = deadline;
    this.summaries.push(...this.throttle.flushAll());
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    });
    await Promise.race([this.loopDone, timedOut]);
    clearTimeout(timer);
    try {
      await this.output.close();
    } catch (err) {
      this.logger.warn({ sink: this.name, err: this.errText(err) }, 'sink close failed');
    }
    await Promise.race([this.loopDone, new Promise((r) => setTimeout(r, 100))]);
    if (this.queue.length > this.head && !this.durable) {
      this.logger.warn(
        { sink: this.name, lost: this.queue.length - this.head },
        'sink closed with alerts undelivered',
      );
    }
    this.state = 'closed';
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.closing && Date.now() >= this.closeDeadline) return;
      const next = this.plan();
      if (next === 'idle') {
        if (this.closing) return;
        await this.idle(this.throttle.nextDueAt());
        continue;
      }
      if (typeof next === 'number') {
        await this.idle(next);
        continue;
      }
      if (next === undefined) {
        // A batch wholly held back or unreadable was skipped: yield before the next one.
        await new Promise((r) => setImmediate(r));
        continue;
      }
      await this.deliver(next);
    }
  }

  /** The next batch, or 'idle' (nothing to do), or a time to wait until (batching). */
  private plan(): PlannedDelivery | 'idle' | number | undefined {
    const store = this.db.store();
    if (this.recovered) {
      const r = this.recovered;
      this.recovered = undefined;
      const rows = store?.getByIds(r.alertIds) ?? [];
      const items: DeliveryItem[] = r.summaries.map((summary) => ({ summary }));
      for (const row of rows) items.push({ alert: JSON.parse(row.json) as Alert, json: row.json });
      return {
        id: r.deliveryId,
        items,
        lastId: r.lastId,
        alertIds: r.alertIds,
        summaries: r.summaries,
        recorded: true,
      };
    }
    this.summaries.push(...this.throttle.takeDue());
    let taken: QueuedAlert[] = [];
    if (this.backlog && store) {
      let rows: StoredAlert[] = [];
      try {
        rows = store.readAfter(this.cursor, this.opts.minRank, this.opts.batchMax);
        if (rows.length === 0) this.backlog = false;
      } catch (err) {
        // The store's health says why; meanwhile what it never got (in memory) still goes out.
        this.lastError = this.errText(err);
      }
      const now = Date.now();
      for (const row of rows) {
        try {
          const alert = JSON.parse(row.json) as Alert;
          taken.push({ id: row.id, rank: this.opts.minRank, alert, json: row.json, at: now });
        } catch {
          this.stats.dropped++;
        }
      }
      if (rows.length > 0 && taken.length === 0) {
        this.ack(rows[rows.length - 1].id);
        return undefined;
      }
    }
    if (taken.length === 0) {
      const waiting = this.queue.length - this.head;
      if (waiting === 0 && this.summaries.length === 0) return 'idle';
      if (waiting > 0 && waiting < this.opts.batchMax && !this.closing && this.summaries.length === 0) {
        const readyAt = this.queue[this.head].at + this.opts.batchWaitMs;
        if (readyAt > Date.now()) return readyAt;
      }
      const n = Math.min(waiting, this.opts.batchMax);
      taken = this.queue.slice(this.head, this.head + n);
      this.head += n;
      this.compact();
    }
    const items: DeliveryItem[] = [];
    const summaries = this.summaries.splice(0);
    for (const summary of summaries) items.push({ summary });
    const alertIds: number[] = [];
    let lastId: number | undefined;
    let firstId: number | undefined;
    for (const q of taken) {
      if (q.id !== undefined) {
        lastId = q.id;
        firstId ??= q.id;
      }
      const item: DeliveryItem = q.alert
        ? { alert: q.alert, json: q.json }
        : new LazyItem(q.json, q.rows, q.row);
      if (this.throttle.enabled && !this.throttle.admit(item.alert!)) {
        this.stats.suppressed++;
        continue;
      }
      items.push(item);
      if (q.id !== undefined) alertIds.push(q.id);
    }
    if (items.length === 0) {
      if (lastId !== undefined) this.ack(lastId);
      return undefined;
    }
    const id = this.durable && lastId !== undefined ? `${this.name}:${firstId}-${lastId}` : randomUUID();
    return { id, items, lastId, alertIds, summaries, recorded: false };
  }

  private async deliver(d: PlannedDelivery): Promise<void> {
    const writer = this.durable && d.lastId !== undefined ? this.db.writer() : null;
    if (writer && !d.recorded) {
      try {
        await writer.begin(this.name, {
          deliveryId: d.id,
          lastId: d.lastId!,
          alertIds: d.alertIds,
          summaries: d.summaries,
        });
      } catch (err) {
        // The store reports its own failure; the batch still goes out, only without crash protection.
        this.logger.debug({ sink: this.name, err: this.errText(err) }, 'could not record batch in outbox');
      }
    }
    const alerts = d.items.reduce((n, it) => n + (it.summary ? 0 : 1), 0);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.output.send({ id: d.id, items: d.items });
        if (this.stats.failures > 0) {
          this.logger.info({ sink: this.name, attempts: attempt + 1 }, 'sink recovered');
        }
        this.stats.failures = 0;
        this.stats.delivered += alerts;
        this.state = 'ok';
        this.lastDeliveredAt = new Date().toISOString();
        break;
      } catch (err) {
        const msg = this.errText(err);
        const retryable = !(err instanceof DeliveryError) || err.retryable;
        this.stats.failures++;
        this.lastError = msg;
        const wasFailing = this.state === 'failing';
        this.state = this.stats.failures >= FAILING_AFTER ? 'failing' : 'retrying';
        if (!retryable || (this.opts.maxAttempts > 0 && attempt + 1 >= this.opts.maxAttempts)) {
          this.stats.dropped += alerts;
          this.logger.error(
            { sink: this.name, err: msg, alerts, attempts: attempt + 1 },
            retryable ? 'sink out of attempts: batch dropped' : 'sink refused batch permanently: dropped',
          );
          break;
        }
        if (attempt === 0 || (this.state === 'failing' && !wasFailing)) {
          this.logger.warn(
            { sink: this.name, err: msg, state: this.state },
            'sink delivery failed, retrying',
          );
        }
        const wait = backoffMs(attempt, this.opts.retryInitialMs, this.opts.retryMaxMs);
        if (this.closing && Date.now() + wait >= this.closeDeadline) {
          // Shutting down: a durable sink resends this batch on the next start.
          if (!this.durable) this.stats.dropped += alerts;
          return;
        }
        await this.sleep(wait);
      }
    }
    if (d.lastId !== undefined) this.ack(d.lastId);
  }

  private ack(lastId: number): void {
    this.cursor = Math.max(this.cursor, lastId);
    if (this.durable) this.writeAck(lastId);
  }

  /** Records the cursor; the writer commits it in order, before any later batch is recorded. */
  private writeAck(lastId: number): void {
    this.db
      .writer()
      ?.ack(this.name, lastId)
      .catch((err: unknown) =>
        this.logger.debug({ sink: this.name, err: this.errText(err) }, 'could not record delivery in outbox'),
      );
  }

  private enterBacklog(): void {
    this.backlog = true;
    // Stored alerts are re-read from the store in order; keep only those the store never got.
    this.queue = this.queue.slice(this.head).filter((q) => q.id === undefined);
    this.head = 0;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Waits for new alerts, or until `until` (ms epoch) when given. */
  private idle(until?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      if (until !== undefined) {
        timer = setTimeout(done, Math.max(0, until - Date.now()));
        timer.unref();
      }
    });
  }

  /** Backoff sleep: only shutdown cuts it short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(ms, Math.max(0, this.closeDeadline - Date.now())));
      timer.unref();
    });
  }

  private errText(err: unknown): string {
    return this.redactor.redact(err instanceof Error ? err.message : String(err));
  }
}
