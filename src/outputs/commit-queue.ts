/**
 * Serialised alerts on their way to the store, then to the durable sinks. Packed chunks wait here
 * for their commit; while the writer thread runs the inserts it has (MAX_INSERTING at most), more
 * chunks gather, so commits are small when alerts are few and large in a burst. Once a commit is
 * settled its alerts go to every durable sink's runner with their store ids (none when the store
 * could not take them), in submission order.
 */
import type { Logger } from 'pino';
import type { QueuedAlert } from './queued-alert.js';
import type { SinkRunner } from './sink-runner.js';
import { isReadable, rankAt, type PackedRows } from './store/packed-rows.js';
import type { StoreLink } from './store/store-link.js';

/** Alerts serialised in one turn, packed, waiting for their commit. */
export interface Chunk {
  count: number;
  /** When they were serialised (ms): the sinks' batch wait starts there. */
  at: number;
  rows: PackedRows;
}

/** Longest an alert waits for its commit while the writer is idle (the durable sinks wait for it). */
const COMMIT_WAIT_MS = 5;
/** Inserts sent to the writer thread at once: one committing, the next one ready behind it. */
const MAX_INSERTING = 2;

export class CommitQueue {
  /** Serialised (and with the sinks without an outbox already), waiting for their commit. */
  private readonly unsaved: Chunk[] = [];
  private unsavedCount = 0;
  private commitTimer?: NodeJS.Timeout;
  /** Inserts the writer thread has not answered yet. */
  private inserting = 0;
  /** Batches reach the durable sinks in submission order, each once its commit is settled. */
  private handedOver: Promise<void> = Promise.resolve();
  /** Shutting down: what waits is committed at once. */
  private closing = false;

  constructor(
    private readonly store: StoreLink,
    private readonly durableSinks: readonly SinkRunner[],
    private readonly commitBatch: number,
    private readonly logger: Logger,
  ) {}

  /** Alerts waiting for their commit (not yet sent to the writer thread). */
  get waiting(): number {
    return this.unsavedCount;
  }

  /** Alerts wait for a commit, or a commit is running. */
  get busy(): boolean {
    return this.unsavedCount > 0 || this.inserting > 0;
  }

  /** Settles once every chunk queued so far has reached the durable sinks. */
  get settled(): Promise<void> {
    return this.handedOver;
  }

  /** Queues a chunk for its commit. */
  add(chunk: Chunk): void {
    this.unsaved.push(chunk);
    this.unsavedCount += chunk.count;
    this.saveSoon();
  }

  /** Hands a chunk to the durable sinks unstored (in order behind the commits queued before it). */
  skipStore(chunk: Chunk): void {
    this.handOver([chunk], Promise.resolve(undefined));
  }

  /** From now on, commits what waits at once (for close). */
  startClosing(): void {
    this.closing = true;
    clearTimeout(this.commitTimer);
  }

  /** Commits what is unsaved, up to commitBatch alerts, unless the writer has enough to do already. */
  save(): void {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    if (this.unsavedCount === 0 || this.inserting >= MAX_INSERTING) return;
    let n = 0;
    let k = 0;
    while (k < this.unsaved.length && (k === 0 || n + this.unsaved[k].count <= this.commitBatch)) {
      n += this.unsaved[k].count;
      k++;
    }
    const chunks = this.unsaved.splice(0, k);
    this.unsavedCount -= n;
    this.handOver(chunks, this.commit(chunks.map((c) => c.rows)));
    this.saveSoon();
  }

  /**
   * Commits at once when a full batch waits (or on close), else within COMMIT_WAIT_MS: one commit
   * per event-loop turn writes whole 16 KiB pages of the table and each index for a few alerts,
   * and the checkpoint thread copies them all again.
   */
  private saveSoon(): void {
    if (this.unsavedCount === 0 || this.inserting >= MAX_INSERTING) return;
    if (this.unsavedCount >= this.commitBatch || this.closing) this.save();
    else this.commitTimer ??= setTimeout(() => this.save(), COMMIT_WAIT_MS);
  }

  private commit(rows: PackedRows[]): Promise<number[] | undefined> {
    const inserted = this.store.insert(rows);
    if (!inserted) return Promise.resolve(undefined);
    this.inserting++;
    return inserted.finally(() => {
      this.inserting--;
      this.saveSoon();
    });
  }

  /**
   * After the commit settled: the durable sinks get the alerts with their ids, as rows of their
   * packed batches (decoded only by a sink that needs them).
   */
  private handOver(chunks: Chunk[], committed: Promise<number[] | undefined>): void {
    this.handedOver = this.handedOver.then(async () => {
      const ids = await committed;
      try {
        if (!ids) this.store.countUnstored(chunks.reduce((n, c) => n + c.count, 0));
        if (this.durableSinks.length === 0) return;
        const items = this.queuedAlerts(chunks, ids);
        for (const r of this.durableSinks) r.enqueue(items);
      } catch (err) {
        this.logger.error({ err: String(err) }, 'alerts not handed to sinks');
      }
    });
  }

  private queuedAlerts(chunks: Chunk[], ids: number[] | undefined): QueuedAlert[] {
    const items: QueuedAlert[] = [];
    let k = 0;
    for (const { rows, at } of chunks) {
      if (!isReadable(rows)) {
        // Only a writer thread that died mid-commit keeps them: committed or not is unknown.
        this.logger.error(
          { alerts: rows.count },
          'alerts lost to the durable sinks with the store writer thread',
        );
        k += rows.count;
        continue;
      }
      for (let i = 0; i < rows.count; i++, k++) {
        items.push({ id: ids?.[k], rank: rankAt(rows, i), rows, row: i, at });
      }
    }
    return items;
  }
}
