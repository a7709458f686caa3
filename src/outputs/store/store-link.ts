/**
 * The pipeline's link to the alert store: this thread's connection (for reads), the writer thread
 * (every write) and the checkpoint thread. It opens them, opens them again STORE_REOPEN_MS after a
 * failure, runs retention, and keeps the store's health. A store that fails is logged once and
 * reported in health(); the alerts keep flowing to the sinks without it. Every STORE_WATCH_MS it
 * checks that the path still names the file it opened (st_dev, st_ino): a store deleted,
 * replaced or moved is closed and a fresh one opened at the path, health shows it as `tampered`
 * until the agent restarts, and onReplaced says what happened (the agent raises an alert).
 */
import { readdirSync, readlinkSync, renameSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { StoreConfig } from '../config.js';
import { defaultDbPath } from '../config.js';
import type { StoreAccess } from '../sink-runner.js';
import { AlertStore, sqliteCode } from './alert-store.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import type { PackedRows } from './packed-rows.js';
import { StoreWriter } from './store-writer.js';

export interface StoreHealth {
  enabled: boolean;
  path: string;
  state: 'ok' | 'failing' | 'disabled' | 'tampered';
  /** What happened to the store file (deleted, replaced, moved), and when; until restart. */
  tampered?: string;
  /** Alerts committed since start. */
  committed: number;
  /** Alerts the store could not take (delivered to sinks without it). */
  unstored: number;
  lastError?: string;
  retentionDeleted: number;
}

const STORE_REOPEN_MS = 30_000;
/** How often the path is checked against the file the store opened. */
const STORE_WATCH_MS = 1000;

/** What happened to the store file: said to onReplaced once a fresh store is open. */
export interface StoreTamper {
  path: string;
  what: 'deleted' | 'moved' | 'replaced';
  /** Where the file is now, when it was moved (as the kernel names it; may be outside the path's mount). */
  movedTo?: string;
  /** Replaced: where the file found at the path was moved, kept for inspection (never opened). */
  setAside?: string;
  /** The newest alert id the old file held: what it had is out of the store from now on. */
  lastId: number;
  /** Per durable sink, stored alerts it had not delivered (it was behind) and no longer can. */
  undeliveredLost: Record<string, number>;
}
/**
 * How often the checkpoint thread copies the WAL into the database. A commit on the writer thread
 * waits while a checkpoint's fsync has the WAL's last page under writeback, and the longer the
 * interval the more pages that fsync has to write: small and often.
 */
const CHECKPOINT_MS = 50;

export class StoreLink implements StoreAccess {
  readonly enabled: boolean;
  readonly path: string;
  private readonly synchronous?: 'normal' | 'full';
  private readonly maxAgeMs: number;
  private readonly maxBytes: number;
  private readonly retentionIntervalMs: number;
  private readonly state: StoreHealth;
  /** This thread's connection, for reads: in WAL mode they never wait for the writer. */
  private reader: AlertStore | null = null;
  /** Every write, on its own thread. */
  private writerThread: StoreWriter | null = null;
  private checkpointer?: Checkpointer;
  private lastOpenAttempt = 0;
  private newest = 0;
  private retentionTimer?: NodeJS.Timeout;
  private watchTimer?: NodeJS.Timeout;
  /** The file the store opened: (st_dev, st_ino). */
  private identity?: { dev: number; ino: number };
  private replacing = false;
  private tamper?: string;

  constructor(
    cfg: StoreConfig,
    private readonly logger: Logger,
    /** A fresh store replaced one that was tampered with; returns undeliveredLost (the sinks'). */
    private readonly onReplaced?: (t: Omit<StoreTamper, 'undeliveredLost'>) => void,
  ) {
    this.enabled = cfg.enabled !== false;
    this.path = cfg.path ?? defaultDbPath();
    this.synchronous = cfg.synchronous;
    const retention = cfg.retention ?? {};
    this.maxAgeMs = (retention.max_age_days ?? 30) * 86_400_000;
    this.maxBytes = (retention.max_size_mb ?? 1024) * 1024 * 1024;
    this.retentionIntervalMs = retention.interval_ms ?? 600_000;
    this.state = {
      enabled: this.enabled,
      path: this.path,
      state: this.enabled ? 'ok' : 'disabled',
      committed: 0,
      unstored: 0,
      retentionDeleted: 0,
    };
  }

  /**
   * Opens the store (when enabled) and waits for the writer thread: alerts submitted while it
   * starts would wait for it. Then schedules retention.
   */
  async open(): Promise<void> {
    if (this.enabled) this.tryOpen();
    await this.writerThread?.ready.catch((err: unknown) => {
      this.failed(err, 'cannot open alert store');
      this.writerDied();
    });
    this.retentionTimer = setInterval(() => this.runRetention(), this.retentionIntervalMs);
    this.retentionTimer.unref();
    if (this.enabled) {
      this.watchTimer = setInterval(() => this.checkFile(), STORE_WATCH_MS);
      this.watchTimer.unref();
    }
  }

  /** A store that could not be opened is tried again, at most every STORE_REOPEN_MS. */
  reopenIfDue(): void {
    if (this.enabled && !this.reader && Date.now() - this.lastOpenAttempt > STORE_REOPEN_MS) this.tryOpen();
  }

  store(): AlertStore | null {
    return this.reader;
  }

  writer(): StoreWriter | null {
    return this.writerThread;
  }

  newestId(): number {
    return this.newest;
  }

  health(): StoreHealth {
    if (this.tamper === undefined) return { ...this.state };
    const state = this.state.state === 'ok' ? 'tampered' : this.state.state;
    return { ...this.state, state, tampered: this.tamper };
  }

  /**
   * Whether the path still names the file the store opened; if not, the store is replaced by a
   * fresh one (once: a check while that runs does nothing).
   */
  checkFile(): void {
    const id = this.identity;
    if (!id || this.replacing || !this.reader) return;
    let what: StoreTamper['what'] | undefined;
    try {
      const st = statSync(this.path);
      if (st.dev !== id.dev || st.ino !== id.ino) what = 'replaced';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
      what = 'deleted';
    }
    if (what === undefined) return;
    const movedTo = openPathOf(id);
    if (movedTo !== undefined && what === 'deleted') what = 'moved';
    void this.replace(what, movedTo);
  }

  /** Closes the store whose file was tampered with and opens a fresh one at the path. */
  private async replace(what: StoreTamper['what'], movedTo: string | undefined): Promise<void> {
    this.replacing = true;
    const lastId = this.newest;
    this.tamper = `${what}${movedTo ? ` (now ${movedTo})` : ''} at ${new Date().toISOString()}`;
    this.logger.error(
      { db: this.path, what, movedTo, lastId },
      'alert store tampered with: a fresh store is opened at its path',
    );
    const old = { writer: this.writerThread, reader: this.reader, checkpointer: this.checkpointer };
    this.writerThread = null;
    this.reader = null;
    this.checkpointer = undefined;
    await old.writer?.close().catch(() => undefined);
    await old.checkpointer?.stop();
    old.reader?.close();
    const setAside = what === 'replaced' ? this.setAside() : undefined;
    this.tryOpen();
    await (this.writerThread as StoreWriter | null)?.ready.catch((err: unknown) => {
      this.failed(err, 'cannot open alert store');
      this.writerDied();
    });
    this.replacing = false;
    this.onReplaced?.({ path: this.path, what, movedTo, setAside, lastId });
  }

  /**
   * A file put in the store's place is not written to (it may be a doctored copy): it is renamed
   * to `<path>.replaced-<ms>` for inspection, and the fresh store starts empty.
   */
  private setAside(): string | undefined {
    const to = `${this.path}.replaced-${Date.now()}`;
    try {
      renameSync(this.path, to);
      return to;
    } catch (err) {
      this.logger.error(
        { db: this.path, err: String(err) },
        'cannot set aside the file that replaced the store',
      );
      return undefined;
    }
  }

  /**
   * Commits packed alerts on the writer thread: their ids, or undefined when the store could not
   * take them. No promise at all without a writer thread.
   */
  insert(rows: PackedRows[]): Promise<number[] | undefined> | undefined {
    const w = this.writerThread;
    if (!w) return undefined;
    return w.insert(rows).then(
      (ids) => {
        this.state.committed += ids.length;
        if (ids.length > 0) this.newest = Math.max(this.newest, ids[ids.length - 1]);
        if (this.state.state === 'failing') {
          this.logger.info({ db: this.path }, 'alert store writable again');
          this.state.state = 'ok';
          delete this.state.lastError;
        }
        return ids;
      },
      (err: unknown) => {
        this.failed(err, 'cannot write alert store');
        this.writerDied();
        return undefined;
      },
    );
  }

  /** Counts alerts that reached the sinks without the store (only when there is one). */
  countUnstored(n: number): void {
    if (this.enabled) this.state.unstored += n;
  }

  runRetention(): void {
    this.writerThread?.retention(this.maxAgeMs, this.maxBytes).then(
      (n) => {
        if (n === 0) return;
        this.state.retentionDeleted += n;
        this.logger.info({ db: this.path, deleted: n }, 'retention deleted old alerts');
      },
      (err: unknown) => this.logger.warn({ db: this.path, err: String(err) }, 'retention failed'),
    );
  }

  stopRetention(): void {
    clearInterval(this.retentionTimer);
  }

  /** Waits for the writes asked for, then ends both threads and closes the connection. */
  async close(): Promise<void> {
    this.stopRetention();
    clearInterval(this.watchTimer);
    await this.writerThread?.close();
    await this.checkpointer?.stop();
    this.reader?.close();
  }

  private tryOpen(): void {
    this.lastOpenAttempt = Date.now();
    try {
      this.reader = AlertStore.open(this.path, { synchronous: this.synchronous });
      for (const change of this.reader.secured.tightened) {
        this.logger.warn({ db: this.path, change }, 'alert store was open to other users: tightened');
      }
      for (const warning of this.reader.secured.warnings) this.logger.warn({ db: this.path }, warning);
      const st = statSync(this.path);
      this.identity = { dev: st.dev, ino: st.ino };
      this.newest = this.reader.maxId();
      this.writerThread = new StoreWriter(this.path, this.synchronous);
      this.checkpointer ??= startCheckpointer(this.path, CHECKPOINT_MS, (err) =>
        this.logger.warn(
          { db: this.path, err: err.message },
          'checkpoint worker failed: commits checkpoint themselves',
        ),
      );
      if (this.state.state === 'failing') this.logger.info({ db: this.path }, 'alert store available again');
      this.state.state = 'ok';
      delete this.state.lastError;
    } catch (err) {
      this.reader?.close();
      this.reader = null;
      this.failed(err, 'cannot open alert store');
    }
  }

  /** The writer thread died (not a failed write: that rejects alone): reopen later. */
  private writerDied(): void {
    if (!this.writerThread || this.writerThread.alive) return;
    this.writerThread = null;
    this.reader?.close();
    this.reader = null;
  }

  private failed(err: unknown, what: string): void {
    const code = sqliteCode(err);
    const msg = `${what} ${this.path}: ${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`;
    if (this.state.state !== 'failing' || this.state.lastError !== msg) {
      this.logger.error(
        { db: this.path, code, err: msg },
        'alert store failing: alerts are still delivered to sinks but not stored',
      );
    }
    this.state.state = 'failing';
    this.state.lastError = msg;
  }
}

/**
 * Where this process's open file (dev, ino) is now, from its descriptors: the store's file was
 * moved when one of them still names it under another path; undefined when it was deleted.
 */
function openPathOf(id: { dev: number; ino: number }): string | undefined {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      const st = statSync(`/proc/self/fd/${fd}`);
      if (st.dev !== id.dev || st.ino !== id.ino) continue;
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.endsWith(' (deleted)') ? undefined : target;
    } catch {
      // closed meanwhile
    }
  }
  return undefined;
}
