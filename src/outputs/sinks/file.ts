/**
 * JSON-lines file, one alert per line (the alert JSON, or an OCSF Detection Finding), rotated by size (path -> path.1 -> ... -> path.keep).
 * Each batch is encoded once and written with write(2) before send() resolves: a batch is
 * acknowledged once the kernel has it, which survives the agent being killed and is what makes
 * the outbox's exactly-once hold here. It is fsynced too only when the store is (`synchronous:
 * full`): an fsync per batch costs more than everything else the sink does, and without one on
 * the store's side a power loss can roll the sink's cursor back anyway.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { FileSinkConfig } from '../config.js';
import { ocsfFinding, ocsfSummary } from '../formats/ocsf.js';
import { VIGIL_VERSION } from '../version.js';
import { DeliveryError, type Delivery, type Sink } from '../sink.js';

export class FileSink implements Sink {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  /** Lines are OCSF Detection Findings instead of the alert JSON. */
  private readonly ocsf: boolean;
  private fd?: number;
  private size = 0;
  /** Reused for every batch (written synchronously): a fresh buffer per batch costs page faults. */
  private out = Buffer.allocUnsafeSlow(64 * 1024);

  constructor(
    cfg: FileSinkConfig,
    private readonly fsync = false,
  ) {
    this.path = cfg.path;
    this.maxBytes = cfg.max_bytes ?? 100 * 1024 * 1024;
    this.keep = Math.max(1, cfg.keep ?? 5);
    this.ocsf = cfg.format === 'ocsf';
  }

  async send(d: Delivery): Promise<void> {
    const buf = this.encodeLines(d);
    try {
      let fd = this.open();
      if (this.size > 0 && this.size + buf.length > this.maxBytes) {
        this.rotate();
        fd = this.open();
      }
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
      if (this.fsync) fsyncSync(fd);
      this.size += buf.length;
    } catch (err) {
      // The write may have partly happened: reopen next time rather than trust our size.
      this.closeFd();
      throw new DeliveryError(`cannot write ${this.path}: ${(err as Error).message}`, true);
    }
  }

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
      this.size = fstatSync(this.fd).size;
    }
    return this.fd;
  }

  private rotate(): void {
    this.closeFd();
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // already unusable; nothing more to release
    }
  }

  async close(): Promise<void> {
    if (this.fd !== undefined && this.fsync) fsyncSync(this.fd);
    this.closeFd();
  }

  /**
   * The batch as JSON lines in this.out. Packed alerts are copied as bytes; other lines are
   * written into the buffer in place: joining a thousand 1.5 KB strings and encoding the result
   * costs far more in V8.
   */
  private encodeLines(d: Delivery): Buffer {
    const lines = new Array<string | Uint8Array>(d.items.length);
    let bytes = 0;
    for (let i = 0; i < d.items.length; i++) {
      const it = d.items[i];
      const line = this.ocsf
        ? JSON.stringify(
            it.alert ? ocsfFinding(it.alert, VIGIL_VERSION) : ocsfSummary(it.summary, VIGIL_VERSION),
          )
        : (it.bytes ?? it.json ?? JSON.stringify(it.alert ?? { vigil_summary: it.summary }));
      lines[i] = line;
      bytes += (typeof line === 'string' ? Buffer.byteLength(line) : line.length) + 1;
    }
    // Kept up to KEEP_OUT; a larger batch gets a buffer of its own.
    if (bytes > this.out.length) {
      const fresh = Buffer.allocUnsafeSlow(bytes);
      if (bytes <= KEEP_OUT) this.out = fresh;
      return fill(fresh, lines);
    }
    return fill(this.out, lines);
  }
}

const KEEP_OUT = 8 * 1024 * 1024;

function fill(buf: Buffer, lines: readonly (string | Uint8Array)[]): Buffer {
  let off = 0;
  for (const line of lines) {
    if (typeof line === 'string') off += buf.write(line, off);
    else {
      buf.set(line, off);
      off += line.length;
    }
    buf[off++] = 0x0a;
  }
  return buf.subarray(0, off);
}
