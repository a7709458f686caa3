/**
 * The one delivery path every sink goes through: a bounded in-memory queue fed after each commit,
 * batching (size and wait, cut short by an urgent alert), priority threshold, rate limit and dedup
 * with summaries, a pace between sends (what one send cannot carry is summarised), retries with
 * exponential backoff and full jitter or the wait the destination asked for (`Retry-After`), and a
 * health state. One runner per sink, each its own async loop with at most one batch in flight, so
 * a slow or failing sink only ever delays itself.
 *
 * Durable sinks keep their progress in the outbox (store/alert-store.ts): the batch is recorded
 * before it is sent and the cursor advanced when the destination acknowledges it. When the memory
 * queue overflows, or after a restart, a durable sink reads what it still owes from the store.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert } from '../event/alert.js';
import { LazyItem, type QueuedAlert } from './queued-alert.js';
import type { Redactor } from './redactor.js';
import { DeliveryError, type AlertSummary, type Delivery, type DeliveryItem, type Sink } from './sink.js';
import type { AlertStore, InflightBatch, StoredAlert } from './store/alert-store.js';
import { jsonBytes } from './store/packed-rows.js';
import type { StoreWriter } from './store/store-writer.js';
import { SummaryCounter, Throttle, type ThrottleOptions } from './throttle.js';

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
  /**
   * Least time between two sends (0: none). A paced sink sends at most batchMax alerts at a time;
   * the others waiting then are summarised per rule in the same send.
   */
  sendIntervalMs?: number;
  /** Alerts this severe or more (rank at most this) end the batch wait at once; -1: none. */
  urgentRank?: number;
}

export type SinkState = 'ok' | 'retrying' | 'failing' | 'closed';

export interface SinkHealth {
  name: string;
  type: string;
  state: SinkState;
  durable: boolean;
  /** Alerts waiting in memory. */
  queued: number;
  /** Stored alerts past this sink's cursor (durable sinks), of any priority. */
  outboxLag: number;
  /**
   * Alerts this sink still owes, each counted once: queued in memory, in the batch in flight, and
   * (durable sinks catching up) stored past the cursor at or above min_priority.
   */
  pending: number;
  /** Alerts the destination acknowledged. */
  delivered: number;
  /** Alerts handed to a transport without acknowledgement (UDP): they left, nobody confirmed. */
  sent: number;
  /** Alerts given up on: refused permanently, out of attempts, or pushed out of a full queue. */
  dropped: number;
  /** Held back by rate limit / dedup (and summarised). */
  suppressed: number;
  consecutiveFailures: number;
  /** Sends that failed, every attempt counted. */
  failedAttempts: number;
  lastError?: string;
  lastDeliveredAt?: string;
}

interface PlannedDelivery extends Delivery {
  /** Highest store id the batch covers (delivered or deliberately skipped). */
  lastId?: number;
  alertIds: number[];
  summaries: AlertSummary[];
  recorded: boolean;
  /** The store generation its ids belong to (storeReplaced() starts a new one). */
  gen: number;
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
/** How long a count of the stored backlog (for `pending`) is reused. */
const BACKLOG_COUNT_MS = 1000;

export class SinkRunner {
  private queue: QueuedAlert[] = [];
  private head = 0;
  private backlog = false;
  private cursor = 0;
  /** Bumped when the store is replaced by a fresh one: older ids are not acknowledged. */
  private storeGen = 0;
  private recovered?: InflightBatch;
  private summaries: AlertSummary[] = [];
  private readonly throttle: Throttle;
  private wake?: () => void;
  private closing = false;
  private closeDeadline = Infinity;
  private loopDone: Promise<void> = Promise.resolve();
  private durable: boolean;
  private stats = { delivered: 0, sent: 0, dropped: 0, suppressed: 0, failures: 0, failedAttempts: 0 };
  /** Alerts in the batch being sent, and the highest store id it covers. */
  private inflight = { alerts: 0, lastId: 0 };
  private backlogCount = { at: 0, after: -1, n: 0 };
  /** No send before this (ms epoch): the pace between sends, or the destination's Retry-After. */
  private nextSendAt = 0;
  private state: SinkState = 'ok';
  private lastError?: string;
  private lastDeliveredAt?: string;

  constructor(
    private readonly sink: Sink,
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
      pending: this.queue.length - this.head + this.inflight.alerts + this.storedBacklog(),
      delivered: this.stats.delivered,
      sent: this.stats.sent,
      dropped: this.stats.dropped,
      suppressed: this.stats.suppressed,
      consecutiveFailures: this.stats.failures,
      failedAttempts: this.stats.failedAttempts,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastDeliveredAt !== undefined ? { lastDeliveredAt: this.lastDeliveredAt } : {}),
    };
  }

  /** Stored alerts a durable sink catching up has not read yet (counted at most once a second). */
  private storedBacklog(): number {
    const store = this.backlog && this.durable ? this.db.store() : null;
    if (!store) return 0;
    const after = Math.max(this.cursor, this.inflight.lastId);
    const now = Date.now();
    if (after !== this.backlogCount.after || now - this.backlogCount.at >= BACKLOG_COUNT_MS) {
      try {
        this.backlogCount = { at: now, after, n: store.countAfter(after, this.opts.minRank) };
      } catch {
        // the store's own health reports why
      }
    }
    return this.backlogCount.n;
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
      await this.sink.close();
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
    const now = Date.now();
    if (now < this.nextSendAt) {
      // Not before the next send is due: idle only with nothing to send then (held-back summaries
      // included, or their window closing would wake the loop over and over until then).
      const nothing = this.queue.length === this.head && this.summaries.length === 0;
      if (nothing && !this.recovered && !this.backlog && this.throttle.nextDueAt() === undefined)
        return 'idle';
      return this.closing ? Math.min(this.nextSendAt, this.closeDeadline) : this.nextSendAt;
    }
    if (this.recovered) return this.resumeRecovered(this.recovered, store);
    this.summaries.push(...this.throttle.takeDue());
    let taken: QueuedAlert[] = [];
    if (this.backlog && store) {
      const read = this.readBacklog(store);
      if (read === undefined) return undefined;
      taken = read;
    }
    if (taken.length === 0) {
      const queued = this.takeQueued();
      if (!Array.isArray(queued)) return queued;
      taken = queued;
    }
    return this.toDelivery(taken);
  }

  /** The batch that was in flight when the agent stopped: resent first, under the same id. */
  private resumeRecovered(r: InflightBatch, store: AlertStore | null): PlannedDelivery {
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
      gen: this.storeGen,
    };
  }

  /**
   * The next stored alerts past the cursor (a durable sink catching up). Undefined when every one
   * of them was unreadable: they are skipped (acknowledged) and counted as dropped.
   */
  private readBacklog(store: AlertStore): QueuedAlert[] | undefined {
    let rows: StoredAlert[] = [];
    try {
      rows = store.readAfter(this.cursor, this.opts.minRank, this.opts.batchMax);
      if (rows.length === 0) this.backlog = false;
    } catch (err) {
      // The store's health says why; meanwhile what it never got (in memory) still goes out.
      this.lastError = this.errText(err);
    }
    const taken: QueuedAlert[] = [];
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
    return taken;
  }

  /** The next batch from the memory queue, or 'idle', or when its batch wait ends. */
  private takeQueued(): QueuedAlert[] | 'idle' | number {
    const waiting = this.queue.length - this.head;
    if (waiting === 0 && this.summaries.length === 0) return 'idle';
    if (waiting > 0 && waiting < this.opts.batchMax && !this.closing && this.summaries.length === 0) {
      const readyAt = this.queue[this.head].at + this.opts.batchWaitMs;
      if (readyAt > Date.now() && !this.urgentWaiting()) return readyAt;
    }
    // A paced sink takes everything waiting: what one send cannot carry becomes summaries.
    const n = this.opts.sendIntervalMs ? waiting : Math.min(waiting, this.opts.batchMax);
    const taken = this.queue.slice(this.head, this.head + n);
    this.head += n;
    this.compact();
    return taken;
  }

  /** Whether an alert at or above the urgent priority waits (the queue then holds under batchMax). */
  private urgentWaiting(): boolean {
    const urgent = this.opts.urgentRank ?? -1;
    if (urgent < 0) return false;
    for (let i = this.head; i < this.queue.length; i++) if (this.queue[i].rank <= urgent) return true;
    return false;
  }

  /**
   * The due summaries and the alerts the throttle admits, as one batch; past batchMax alerts (a
   * paced sink takes more), the rest are summarised per rule. Undefined when nothing is left to
   * send (what was held back is acknowledged).
   */
  private toDelivery(taken: QueuedAlert[]): PlannedDelivery | undefined {
    const items: DeliveryItem[] = [];
    const summaries = this.summaries.splice(0);
    for (const summary of summaries) items.push({ summary });
    const alertIds: number[] = [];
    const overflow = new SummaryCounter(this.opts.sendIntervalMs ?? 0);
    let admitted = 0;
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
      if (admitted >= this.opts.batchMax) {
        overflow.add(item.alert!);
        this.stats.suppressed++;
        continue;
      }
      admitted++;
      items.push(item);
      if (q.id !== undefined) alertIds.push(q.id);
    }
    const held = overflow.take();
    for (const summary of held) items.push({ summary });
    summaries.push(...held);
    if (items.length === 0) {
      if (lastId !== undefined) this.ack(lastId);
      return undefined;
    }
    const id = this.durable && lastId !== undefined ? `${this.name}:${firstId}-${lastId}` : randomUUID();
    return { id, items, lastId, alertIds, summaries, recorded: false, gen: this.storeGen };
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
    this.inflight = { alerts, lastId: d.lastId ?? 0 };
    try {
      await this.attempts(d, alerts);
    } finally {
      this.inflight = { alerts: 0, lastId: 0 };
    }
  }

  /** Sends until acknowledged, refused for good, out of attempts, or shut down (durable: resent later). */
  private async attempts(d: PlannedDelivery, alerts: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.send({ id: d.id, items: d.items });
        this.nextSendAt = Date.now() + (this.opts.sendIntervalMs ?? 0);
        if (this.stats.failures > 0) {
          this.logger.info({ sink: this.name, attempts: attempt + 1 }, 'sink recovered');
        }
        this.stats.failures = 0;
        if (this.sink.acknowledged === false) this.stats.sent += alerts;
        else this.stats.delivered += alerts;
        this.state = 'ok';
        this.lastDeliveredAt = new Date().toISOString();
        break;
      } catch (err) {
        const msg = this.errText(err);
        const retryable = !(err instanceof DeliveryError) || err.retryable;
        this.stats.failures++;
        this.stats.failedAttempts++;
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
        const asked = err instanceof DeliveryError ? err.retryAfterMs : undefined;
        const wait = asked ?? backoffMs(attempt, this.opts.retryInitialMs, this.opts.retryMaxMs);
        this.nextSendAt = Date.now() + wait;
        if (this.closing && Date.now() + wait >= this.closeDeadline) {
          // Shutting down: a durable sink resends this batch on the next start.
          if (!this.durable) this.stats.dropped += alerts;
          return;
        }
        await this.sleep(wait);
      }
    }
    if (d.lastId !== undefined) this.ack(d.lastId, d.gen);
  }

  /**
   * The store was deleted, replaced or moved and a fresh, empty one opened (store/store-link.ts):
   * its ids start again from 1. Alerts queued in memory still go out, without ids (nothing in the
   * fresh store to acknowledge); the cursor starts again at 0. Returns how many stored alerts this
   * sink had not delivered and no longer can (they were only in the old file: a backlog).
   */
  storeReplaced(oldNewest: number): number {
    if (!this.durable) return 0;
    const lost = this.backlog ? Math.max(0, oldNewest - this.cursor) : 0;
    this.storeGen++;
    for (let i = this.head; i < this.queue.length; i++) {
      const q = this.queue[i];
      if (q.id !== undefined) this.queue[i] = { ...q, id: undefined };
    }
    this.cursor = 0;
    this.backlog = false;
    this.recovered = undefined;
    this.writeAck(0);
    return lost;
  }

  private ack(lastId: number, gen = this.storeGen): void {
    if (gen !== this.storeGen) return;
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

/** Exponential backoff with full jitter: uniform in [0, min(max, initial * 2^attempt)]. */
function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(initialMs / 4, Math.random() * cap);
}
