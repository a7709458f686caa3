/**
 * Reads what has been appended to a file since the last read: the guest writes its command's
 * output to the results share, and the host copies it out while the VM runs, so a slow or hung
 * guest shows how far it got.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

const CHUNK = 64 * 1024;

export class FileTail {
  private offset = 0;

  constructor(private readonly path: string) {}

  /** The new bytes (possibly none); a file that does not exist yet has none. */
  read(): Buffer {
    if (!existsSync(this.path)) return Buffer.alloc(0);
    const fd = openSync(this.path, 'r');
    try {
      const parts: Buffer[] = [];
      for (;;) {
        const chunk = Buffer.alloc(CHUNK);
        const n = readSync(fd, chunk, 0, CHUNK, this.offset);
        if (n === 0) break;
        this.offset += n;
        parts.push(chunk.subarray(0, n));
      }
      return Buffer.concat(parts);
    } finally {
      closeSync(fd);
    }
  }
}

/** Keeps the last `limit` bytes written to it: bounded memory for any amount of output. */
export class TailBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.size += chunk.length;
    while (this.size - this.parts[0].length >= this.limit) {
      this.size -= this.parts[0].length;
      this.dropped += this.parts[0].length;
      this.parts.shift();
    }
  }

  text(): string {
    const all = Buffer.concat(this.parts);
    const kept = all.subarray(Math.max(0, all.length - this.limit));
    const cut = this.dropped + all.length - kept.length;
    return (cut > 0 ? `[... ${cut} bytes dropped ...]\n` : '') + kept.toString('utf8');
  }
}
