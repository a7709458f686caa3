/**
 * The alert store's writes (alerts, outbox progress, retention) on a worker thread. Each method
 * resolves once its write is committed (or rejects with SQLite's code), in the order they were
 * called, so "committed before any durable sink sees it" holds by awaiting insert(). Reads stay on the
 * caller's own connection: in WAL mode they never wait for the writer.
 */
import { Worker } from 'node:worker_threads';
import { buffersOf, type PackedRows } from './packed-rows.js';
import type { InflightBatch } from './alert-store.js';

export type WriterRequest = { seq: number } & (
  | { op: 'insert'; rows: PackedRows[] }
  | { op: 'begin'; sink: string; batch: InflightBatch }
  | { op: 'ack'; sink: string; lastId: number }
  | { op: 'retention'; maxAgeMs: number; maxBytes: number }
  | { op: 'close' }
);

export interface WriterReply {
  seq: number;
  ids?: number[];
  /** An insert's rows, moved back (whether the commit succeeded or failed). */
  rows?: PackedRows[];
  deleted?: number;
  error?: { message: string; code?: string };
}

type Pending = {
  resolve: (r: WriterReply) => void;
  reject: (err: Error) => void;
  /** An insert's rows, whose buffers come back with the reply. */
  rows?: PackedRows[];
};

function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./store-writer-worker.js', import.meta.url), { workerData });
  }
  // From sources under tsx (tests, benches): loader hooks do not reach workers, so it registers tsx.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./store-writer-worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((t) => { t.register(); return import(${entry}); })`, {
    eval: true,
    workerData,
  });
}

export class StoreWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private dead?: Error;
  /** Resolves once the thread has the store open (requests made before simply queue). */
  readonly ready: Promise<void>;

  constructor(path: string, synchronous: 'normal' | 'full' = 'normal') {
    this.worker = startWorker({ path, synchronous });
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    this.ready.catch(() => undefined); // also reported through every request
    this.worker.on('message', (reply: WriterReply) => {
      const p = this.pending.get(reply.seq);
      if (!p) return;
      this.pending.delete(reply.seq);
      // Like the checkpoint thread, an idle writer does not keep the process alive; a busy one does.
      if (this.pending.size === 0) this.worker.unref();
      if (p.rows && reply.rows) {
        for (let i = 0; i < p.rows.length; i++) Object.assign(p.rows[i], reply.rows[i]);
      }
      p.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`store writer thread exited (code ${code})`)));
  }

  /** False once the thread died: every call rejects; open a new writer. */
  get alive(): boolean {
    return !this.dead;
  }

  /**
   * Commits the batches in one transaction; their ids, in order. Their buffers move to the thread
   * and are back in `rows` once this settles (a thread that dies keeps them: see isReadable).
   */
  async insert(rows: PackedRows[]): Promise<number[]> {
    return (await this.request({ op: 'insert', rows }, rows)).ids!;
  }

  async begin(sink: string, batch: InflightBatch): Promise<void> {
    await this.request({ op: 'begin', sink, batch });
  }

  async ack(sink: string, lastId: number): Promise<void> {
    await this.request({ op: 'ack', sink, lastId });
  }

  async retention(maxAgeMs: number, maxBytes: number): Promise<number> {
    return (await this.request({ op: 'retention', maxAgeMs, maxBytes })).deleted ?? 0;
  }

  /** Waits for every write asked for so far, then ends the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await this.request({ op: 'close' }).catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }

  private request(body: DistributiveOmit<WriterRequest, 'seq'>, rows?: PackedRows[]): Promise<WriterReply> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise<WriterReply>((resolve, reject) => {
      this.pending.set(seq, {
        resolve: (r) => {
          if (r.error) reject(Object.assign(new Error(r.error.message), { code: r.error.code }));
          else resolve(r);
        },
        reject,
        rows,
      });
      this.worker.ref();
      this.worker.postMessage({ ...body, seq } as WriterRequest, rows ? buffersOf(rows) : []);
    });
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
