/**
 * The store's writer thread (see store-writer.ts): every write to the alert store runs here, on its
 * own connection, so a commit (and the disk stalls it can meet) never blocks the event loop that
 * runs detection. Requests that queued while a transaction ran are committed together in the next
 * one (group commit); each still gets its own reply, in order.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { buffersOf, type PackedRows } from './packed-rows.js';
import { AlertStore, sqliteCode } from './alert-store.js';
import type { WriterReply, WriterRequest } from './store-writer.js';
import { yieldToDetection } from './thread-priority.js';

const { path, synchronous } = workerData as { path: string; synchronous: 'normal' | 'full' };
const port = parentPort!;
const GROUP_ALERTS = 2000;
yieldToDetection();
const store = AlertStore.open(path, { synchronous });
// The checkpoint thread keeps the WAL short; past this many pages a commit checkpoints by itself.
store.setAutoCheckpoint(4096);
port.postMessage({ seq: 0 } satisfies WriterReply);

function perform(req: WriterRequest): WriterReply {
  switch (req.op) {
    case 'insert':
      return { seq: req.seq, ids: store.insertPacked(req.rows) };
    case 'begin':
      store.beginDelivery(req.sink, req.batch);
      return { seq: req.seq };
    case 'ack':
      store.ackDelivery(req.sink, req.lastId);
      return { seq: req.seq };
    case 'retention':
      return { seq: req.seq, deleted: store.applyRetention(req.maxAgeMs, req.maxBytes) };
    case 'close':
      return { seq: req.seq };
  }
}

/**
 * After a full disk, a commit retried as soon as space comes back would append to the WAL and take
 * that space again, while the checkpoint that lets the WAL be reused needs it to grow the database:
 * the store would stay full for good. So until a checkpoint has emptied the WAL, each round of
 * writes first tries one.
 */
let diskWasFull = false;

const rowCount = (rows: readonly PackedRows[]): number => rows.reduce((n, r) => n + r.count, 0);

function failure(req: WriterRequest, err: unknown): WriterReply {
  if (sqliteCode(err) === 'SQLITE_FULL') diskWasFull = true;
  return {
    seq: req.seq,
    error: { message: err instanceof Error ? err.message : String(err), code: sqliteCode(err) },
  };
}

port.on('message', (first: WriterRequest) => {
  if (diskWasFull) diskWasFull = !store.truncateWal();
  // What queued meanwhile joins this transaction, up to about two full commit batches.
  const reqs = [first];
  let alerts = first.op === 'insert' ? rowCount(first.rows) : 0;
  for (let m; alerts < GROUP_ALERTS && (m = receiveMessageOnPort(port));) {
    const req = m.message as WriterRequest;
    reqs.push(req);
    if (req.op === 'insert') alerts += rowCount(req.rows);
  }
  // Retention deletes in chunks of its own and close ends the batch: both run outside the group.
  const grouped = reqs.filter((r) => r.op !== 'retention' && r.op !== 'close');
  let replies: WriterReply[];
  try {
    replies = grouped.length > 1 ? store.transaction(() => grouped.map(perform)) : grouped.map(perform);
  } catch {
    // One failing request rolled the group back: redo each alone so only it fails.
    replies = grouped.map((r) => {
      try {
        return perform(r);
      } catch (e) {
        return failure(r, e);
      }
    });
  }
  const bySeq = new Map(replies.map((r) => [r.seq, r]));
  for (const r of reqs) {
    let reply = bySeq.get(r.seq);
    if (!reply) {
      try {
        reply = perform(r);
      } catch (err) {
        reply = failure(r, err);
      }
    }
    // The rows go back, moved: the sinks read the alerts from them.
    if (r.op === 'insert') reply.rows = r.rows;
    port.postMessage(reply, reply.rows ? buffersOf(reply.rows) : []);
    if (r.op === 'close') {
      store.close();
      port.close();
      return;
    }
  }
});
