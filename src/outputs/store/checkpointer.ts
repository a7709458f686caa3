/**
 * A worker thread that checkpoints the store's WAL into the database file (page copy + fsync) on
 * its own connection, so that work never runs inside a commit on the main thread, where it would
 * delay alerts and detection. PASSIVE checkpoints never block the writer. The worker is a small
 * CommonJS string given better-sqlite3's resolved path, so it loads the same way under tsx and
 * built, from any working directory.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { STORE_THREAD_NICE } from './thread-priority.js';

export interface Checkpointer {
  stop(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
// As the writer thread (thread-priority.ts): below the event loop that runs detection.
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) require('node:os').setPriority(tid, workerData.nice);
} catch {}
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  // Busy or failing: the main connection's fallback auto-checkpoint bounds the WAL meanwhile.
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (msg) => {
  if (msg !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

export function startCheckpointer(
  path: string,
  intervalMs = 200,
  onError?: (err: Error) => void,
): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, intervalMs, sqlite: SQLITE, nice: STORE_THREAD_NICE },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => onError?.(err));
  return {
    async stop() {
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      await worker.terminate();
    },
  };
}
