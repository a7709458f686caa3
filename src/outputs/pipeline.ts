/**
 * openOutputs(): the alert pipeline `vigil run` drives. submit() is synchronous and cheap: alerts
 * gather until the end of the event-loop turn (or commit_batch of them), are serialised once, are
 * committed to SQLite by the store's writer thread (store-writer.ts) in one transaction, then
 * handed to every durable sink's runner, in submission order. A sink without an outbox (stdout by
 * default, or `durable: false`) gets the serialised alerts at once, without waiting for the commit:
 * it keeps no delivery record the commit could protect, and a commit that meets a checkpoint's
 * fsync takes milliseconds the terminal would wait for. The event loop never waits for the disk. If
 * the store fails (disk full, read-only file) that is reported in health() and the log, and the
 * alerts still go to the sinks. */
import { setImmediate as nextTurn } from 'node:timers';
import type { Logger } from 'pino';
import type { Alert } from '../event/alert.js';
import type { OutputsConfig, SinkConfig } from './config.js';
import { defaultDbPath } from './config.js';
import { assertOutputsConfig, sinkNames } from './config-check.js';
import { SinkRunner, type QueuedAlert, type SinkHealth, type StoreAccess } from './delivery.js';
import { parsePriority, priorityRank } from './output.js';
import { Redactor } from './secrets.js';
import { createSink, sinkDefaults } from './sinks/index.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { isReadable, rankAt, RowPacker, type PackedRows } from './packed.js';
import { AlertStore, sqliteCode } from './store.js';
import { StoreWriter } from './store-writer.js';

/** Alerts serialised in one turn, packed, waiting for their commit. */
interface Chunk {
  count: number;
  /** When they were serialised (ms): the sinks' batch wait starts there. */
  at: number;
  rows: PackedRows;
}

export interface StoreHealth {
  enabled: boolean;
  path: string;
  state: 'ok' | 'failing' | 'disabled';
  /** Alerts committed since start. */
  committed: number;
  /** Alerts the store could not take (delivered to sinks without it). */
  unstored: number;
  lastError?: string;
  retentionDeleted: number;
}

export interface OutputsHealth {
  store: StoreHealth;
  sinks: SinkHealth[];
}

export interface Outputs {
  /**
   * Never blocks detection: queues the alert. It is serialised at the end of this event-loop turn
   * (and handed to the sinks without an outbox), committed within COMMIT_WAIT_MS.
   */
  submit(alert: Alert): void;
  health(): OutputsHealth;
  /** Commits what is pending and lets sinks drain (up to close_timeout_ms). For SIGTERM. */
  close(): Promise<void>;
}

export interface OpenOutputsOptions {
  /** Whether stdout is a terminal (default process.stdout.isTTY): picks the stdout sink's format. */
  isTTY?: boolean;
}

const STORE_REOPEN_MS = 30_000;
/**
 * How often the checkpoint thread copies the WAL into the database. A commit on the writer thread
 * waits while a checkpoint's fsync has the WAL's last page under writeback (measured on ext4 here:
 * insert round trip p99 6.9 ms at 50 ms, 12.4 ms at 200 ms, 106 ms at 1 s): small and often.
 */
const CHECKPOINT_MS = 50;
/** Longest an alert waits for its commit while the writer is idle (the durable sinks wait for it). */
const COMMIT_WAIT_MS = 5;
/** Inserts sent to the writer thread at once: one committing, the next one ready behind it. */
const MAX_INSERTING = 2;
/**
 * Alerts serialised at once when more are submitted in one turn: a burst of a thousand alerts and
 * their JSON outgrows the agent's 2 MB semi-space, and whatever a scavenge finds alive is copied
 * (and promoted at the second one). Measured with --trace-gc over 200k alerts: 600 scavenges
 * taking 1.6-1.9 s at 256, 725-795 taking 3.0-3.1 s at 1000 (commits still gather up to
 * commit_batch).
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
  const storeEnabled = storeCfg.enabled !== false;
  const dbPath = storeCfg.path ?? defaultDbPath();
  const commitBatch = Math.max(1, config.commit_batch ?? 1000);
  const closeTimeoutMs = config.close_timeout_ms ?? 5000;
  const retention = storeCfg.retention ?? {};
  const maxAgeMs = (retention.max_age_days ?? 30) * 86_400_000;
  const maxBytes = (retention.max_size_mb ?? 1024) * 1024 * 1024;

  const health: StoreHealth = {
    enabled: storeEnabled,
    path: dbPath,
    state: storeEnabled ? 'ok' : 'disabled',
    committed: 0,
    unstored: 0,
    retentionDeleted: 0,
  };
  // `store`: this thread's connection, for reads; `writer`: every write, on its own thread.
  let store: AlertStore | null = null;
  let writer: StoreWriter | null = null;
  let lastOpenAttempt = 0;
  let newestId = 0;

  const storeFailed = (err: unknown, what: string): void => {
    const code = sqliteCode(err);
    const msg = `${what} ${dbPath}: ${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`;
    if (health.state !== 'failing' || health.lastError !== msg) {
      logger.error(
        { db: dbPath, code, err: msg },
        'alert store failing: alerts are still delivered to sinks but not stored',
      );
    }
    health.state = 'failing';
    health.lastError = msg;
  };

  let checkpointer: Checkpointer | undefined;
  const tryOpenStore = (): void => {
    lastOpenAttempt = Date.now();
    try {
      store = AlertStore.open(dbPath, { synchronous: storeCfg.synchronous });
      newestId = store.maxId();
      writer = new StoreWriter(dbPath, storeCfg.synchronous);
      checkpointer ??= startCheckpointer(dbPath, CHECKPOINT_MS, (err) =>
        logger.warn(
          { db: dbPath, err: err.message },
          'checkpoint worker failed: commits checkpoint themselves',
        ),
      );
      if (health.state === 'failing') logger.info({ db: dbPath }, 'alert store available again');
      health.state = 'ok';
      delete health.lastError;
    } catch (err) {
      (store as AlertStore | null)?.close();
      store = null;
      storeFailed(err, 'cannot open alert store');
    }
  };
  if (storeEnabled) tryOpenStore();
  /** The writer thread died (not a failed write: that rejects alone): reopen later. */
  const writerDied = (): void => {
    if (!writer || writer.alive) return;
    writer = null;
    store?.close();
    store = null;
  };

  // Alerts submitted while the writer thread starts would wait for it: start with it ready.
  await (writer as StoreWriter | null)?.ready.catch((err: unknown) => {
    storeFailed(err, 'cannot open alert store');
    writerDied();
  });

  const runRetention = (): void => {
    writer?.retention(maxAgeMs, maxBytes).then(
      (n) => {
        if (n === 0) return;
        health.retentionDeleted += n;
        logger.info({ db: dbPath, deleted: n }, 'retention deleted old alerts');
      },
      (err: unknown) => logger.warn({ db: dbPath, err: String(err) }, 'retention failed'),
    );
  };
  const retentionTimer = setInterval(runRetention, retention.interval_ms ?? 600_000);
  retentionTimer.unref();

  const runners: SinkRunner[] = [];
  try {
    const sinks = config.sinks ?? [{ type: 'stdout' } as SinkConfig];
    const names = sinkNames(sinks) as string[]; // no duplicates: checked above
    for (const [i, cfg] of sinks.entries()) {
      runners.push(
        buildRunner(
          cfg,
          i,
          names[i],
          { store: () => store, writer: () => writer, newestId: () => newestId },
          logger,
          redactor,
          {
            ...opts,
            fsync: storeCfg.synchronous === 'full',
          },
        ),
      );
    }
  } catch (err) {
    await (writer as StoreWriter | null)?.close();
    await checkpointer?.stop();
    (store as AlertStore | null)?.close();
    throw err;
  }
  for (const r of runners) r.start();
  runRetention();
  const afterCommit = runners.filter((r) => r.isDurable);
  const atOnce = runners.filter((r) => !r.isDurable);

  let pending: Alert[] = [];
  let scheduled = false;
  let closed = false;
  // Batches reach the durable sinks in submission order, each once its commit is settled.
  let handedOver: Promise<void> = Promise.resolve();
  // Serialised (and with the sinks without an outbox already), waiting for their commit.
  const unsaved: Chunk[] = [];
  let unsavedCount = 0;
  let commitTimer: NodeJS.Timeout | undefined;
  // Inserts the writer thread has not answered yet. While they run, alerts gather in `unsaved`, so
  // commits are small when alerts are few and large in a burst (throughput).
  let inserting = 0;
  let behindWarned = false;

  const commit = (rows: PackedRows[]): Promise<number[] | undefined> => {
    const w = writer;
    if (!w) return Promise.resolve(undefined);
    inserting++;
    return w
      .insert(rows)
      .then(
        (ids) => {
          health.committed += ids.length;
          if (ids.length > 0) newestId = Math.max(newestId, ids[ids.length - 1]);
          if (health.state === 'failing') {
            logger.info({ db: dbPath }, 'alert store writable again');
            health.state = 'ok';
            delete health.lastError;
          }
          return ids;
        },
        (err: unknown) => {
          storeFailed(err, 'cannot write alert store');
          writerDied();
          return undefined;
        },
      )
      .finally(() => {
        inserting--;
        saveSoon();
      });
  };

  /**
   * After the commit settled: the durable sinks get the alerts with their ids (none when the store
   * could not take them), as rows of their packed batches (decoded only by a sink that needs them).
   */
  const afterSettled = (chunks: Chunk[], committed: Promise<number[] | undefined>): void => {
    handedOver = handedOver.then(async () => {
      const ids = await committed;
      try {
        if (!ids && storeEnabled) health.unstored += chunks.reduce((n, c) => n + c.count, 0);
        if (afterCommit.length === 0) return;
        const items: QueuedAlert[] = [];
        let k = 0;
        for (const { rows, at } of chunks) {
          if (!isReadable(rows)) {
            // Only a writer thread that died mid-commit keeps them: committed or not is unknown.
            logger.error(
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
        for (const r of afterCommit) r.enqueue(items);
      } catch (err) {
        logger.error({ err: String(err) }, 'alerts not handed to sinks');
      }
    });
  };

  /** Commits what is unsaved, up to commitBatch alerts, unless the writer has enough to do already. */
  const save = (): void => {
    clearTimeout(commitTimer);
    commitTimer = undefined;
    if (unsavedCount === 0 || inserting >= MAX_INSERTING) return;
    let n = 0;
    let k = 0;
    while (k < unsaved.length && (k === 0 || n + unsaved[k].count <= commitBatch)) {
      n += unsaved[k].count;
      k++;
    }
    const chunks = unsaved.splice(0, k);
    unsavedCount -= n;
    afterSettled(chunks, commit(chunks.map((c) => c.rows)));
    saveSoon();
  };

  /**
   * Commits at once when a full batch waits (or on close), else within COMMIT_WAIT_MS: one
   * commit per event-loop turn writes whole 16 KiB pages of the table and each index for a few
   * alerts, and the checkpoint thread copies them all again.
   */
  function saveSoon(): void {
    if (unsavedCount === 0 || inserting >= MAX_INSERTING) return;
    if (unsavedCount >= commitBatch || closed) save();
    else commitTimer ??= setTimeout(save, COMMIT_WAIT_MS);
  }

  /**
   * Serialises up to commitBatch pending alerts, hands them to the sinks without an outbox and
   * queues them for their commit (skipStore: straight to every sink, unstored).
   */
  const flush = (skipStore = false): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const take = pending.length <= commitBatch ? pending : pending.slice(0, commitBatch);
    pending = take === pending ? [] : pending.slice(commitBatch);
    const packing = storeEnabled || afterCommit.length > 0;
    // The sinks without an outbox write the strings at once (their buffers may be with the writer
    // thread by then); the rest live as packed bytes from here on: the alert objects and their
    // JSON strings die young.
    const now = Date.now();
    const items: QueuedAlert[] | undefined = atOnce.length > 0 ? [] : undefined;
    const packer = new RowPacker(take.length);
    for (const alert of take) {
      let json: string;
      try {
        json = JSON.stringify(alert);
      } catch (err) {
        // An alert that cannot be serialised (a bug upstream) must not take the others down.
        logger.error({ rule: alert?.rule, err: String(err) }, 'alert dropped: not serialisable');
        continue;
      }
      items?.push({ rank: priorityRank(alert.priority), alert, json, at: now });
      if (packing) packer.add(alert, json);
    }
    if (pending.length > 0) schedule();
    try {
      if (items && items.length > 0) for (const r of atOnce) r.enqueue(items);
    } catch (err) {
      logger.error({ err: String(err) }, 'alerts not handed to sinks');
    }
    if (packer.count === 0) return;
    if (storeEnabled && !store && Date.now() - lastOpenAttempt > STORE_REOPEN_MS) tryOpenStore();
    const chunk: Chunk = { count: packer.count, at: now, rows: packer.finish() };
    if (skipStore || !writer) {
      afterSettled([chunk], Promise.resolve(undefined));
      return;
    }
    unsaved.push(chunk);
    unsavedCount += chunk.count;
    saveSoon();
  };

  /** Flushes at the end of this event-loop turn. */
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    nextTurn(() => flush());
  }

  return {
    submit(alert: Alert): void {
      if (closed) return;
      pending.push(alert);
      if (pending.length + unsavedCount >= MAX_PENDING) {
        // The disk cannot keep up: memory stays bounded and the alerts still reach the sinks.
        if (!behindWarned) logger.error({ db: dbPath }, 'alert store too slow: alerts delivered unstored');
        behindWarned = true;
        flush(true);
      } else if (pending.length >= Math.min(commitBatch, FLUSH_AT)) flush();
      else schedule();
    },
    health(): OutputsHealth {
      return { store: { ...health }, sinks: runners.map((r) => r.health()) };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(commitTimer);
      while (pending.length > 0 || unsavedCount > 0 || inserting > 0) {
        flush();
        save();
        await handedOver;
        await new Promise((r) => nextTurn(r));
      }
      await handedOver;
      clearInterval(retentionTimer);
      const deadline = Date.now() + closeTimeoutMs;
      await Promise.all(runners.map((r) => r.close(deadline)));
      await writer?.close();
      await checkpointer?.stop();
      store?.close();
    },
  };
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
  const output = createSink(cfg, {
    where,
    logger,
    redactor,
    isTTY: opts.isTTY ?? !!process.stdout.isTTY,
    fsync: opts.fsync,
  });
  const windowMs = cfg.rate_limit?.window_ms ?? (cfg.dedup_window_ms || 60_000);
  return new SinkRunner(
    output,
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
    },
    db,
    logger,
    redactor,
  );
}
