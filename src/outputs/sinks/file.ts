/**
 * JSON-lines file, one alert per line, rotated by size (path -> path.1 -> ... -> path.keep).
 * Written synchronously per batch through pino's destination (sonic-boom): a batch is
 * acknowledged once it is in the file, which is what makes the outbox's exactly-once hold here.
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import pino from 'pino';
import type { FileSinkConfig } from '../config.js';
import type { Delivery, Output } from '../output.js';
import { DeliveryError } from '../output.js';

export class FileSink implements Output {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private dest?: ReturnType<typeof pino.destination>;
  private size = 0;

  constructor(cfg: FileSinkConfig) {
    this.path = cfg.path;
    this.maxBytes = cfg.max_bytes ?? 100 * 1024 * 1024;
    this.keep = Math.max(1, cfg.keep ?? 5);
  }

  async send(d: Delivery): Promise<void> {
    let out = '';
    for (const it of d.items)
      out += (it.json ?? JSON.stringify(it.alert ?? { vigil_summary: it.summary })) + '\n';
    const bytes = Buffer.byteLength(out);
    try {
      const dest = this.open();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate(dest);
      dest.write(out);
      dest.flushSync();
      this.size += bytes;
    } catch (err) {
      // The write may have partly happened: reopen next time rather than trust our size.
      this.dest?.destroy();
      this.dest = undefined;
      throw new DeliveryError(`cannot write ${this.path}: ${(err as Error).message}`, true);
    }
  }

  private open(): ReturnType<typeof pino.destination> {
    if (!this.dest) {
      this.dest = pino.destination({ dest: this.path, sync: true, mkdir: true, append: true });
      this.size = existsSync(this.path) ? statSync(this.path).size : 0;
    }
    return this.dest;
  }

  private rotate(dest: ReturnType<typeof pino.destination>): void {
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    dest.reopen();
    this.size = 0;
  }

  async close(): Promise<void> {
    if (!this.dest) return;
    this.dest.flushSync();
    this.dest.end();
    this.dest = undefined;
  }
}
