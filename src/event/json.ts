/**
 * The JSON lines form of events: what `vigil events --json` prints and
 * `vigil record` saves, and what `vigil replay` reads back. One VigilEvent per
 * line, exactly as src/event/types.ts shapes it. The reader is lenient about
 * what it can default (a hand-written event may leave out `args`, the
 * process's ancestors, ...) and strict about what it cannot (a known `type`,
 * a `proc` with a pid), reporting the line number.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { canonicalEventType, type ProcessInfo, type VigilEvent } from './types.js';
import { unknownProcess } from './unknown-process.js';

/** One event as one line (no newline). */
export function eventToJson(ev: VigilEvent): string {
  return JSON.stringify(ev);
}

export class EventParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'EventParseError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Spread from one constant object, not from a new one per event: the events then share V8 hidden
// classes, and the engine's field reads stay monomorphic (a fresh unknownProcess(pid) per event cost
// bench/engine 20-30% of its rate). tid and vpid default to the pid below, as unknownProcess(pid) has them.
const PROC_DEFAULTS: ProcessInfo = unknownProcess(0);

/** A parsed JSON value as a VigilEvent, with defaults for what may be left out. */
export function toEvent(v: unknown, line = 0): VigilEvent {
  if (!isObject(v)) throw new EventParseError('an event must be a JSON object', line);
  const type = typeof v.type === 'string' ? canonicalEventType(v.type) : undefined;
  if (type === undefined) throw new EventParseError(`unknown event type ${JSON.stringify(v.type)}`, line);
  if (!isObject(v.proc) || typeof v.proc.pid !== 'number') {
    throw new EventParseError('the event has no proc.pid', line);
  }
  const p = { ...PROC_DEFAULTS, ...v.proc } as ProcessInfo;
  p.tid ||= p.pid;
  p.vpid ||= p.pid;
  if (p.name === '' && p.exe !== '') p.name = p.exe.slice(p.exe.lastIndexOf('/') + 1);
  if (p.cmdline === '' && p.args.length > 0) p.cmdline = [p.name, ...p.args.slice(1)].join(' ');
  const user = isObject(v.user) ? v.user : {};
  const group = isObject(v.group) ? v.group : {};
  const ev: VigilEvent = {
    type,
    ts: typeof v.ts === 'number' ? v.ts : 0,
    ret: typeof v.ret === 'number' ? v.ret : 0,
    proc: p,
    user: {
      uid: p.euid,
      name: '<NA>',
      loginuid: p.loginuid,
      loginname: '<NA>',
      homedir: '<NA>',
      shell: '<NA>',
      ...user,
    } as VigilEvent['user'],
    group: { gid: p.egid, name: '<NA>', ...group } as VigilEvent['group'],
    args: isObject(v.args) ? (v.args as VigilEvent['args']) : {},
    rawargs: isObject(v.rawargs) ? (v.rawargs as VigilEvent['rawargs']) : {},
  };
  if (isObject(v.fd)) ev.fd = v.fd as unknown as VigilEvent['fd'];
  if (isObject(v.fd2)) ev.fd2 = v.fd2 as unknown as VigilEvent['fd2'];
  if (isObject(v.target)) ev.target = v.target as unknown as VigilEvent['target'];
  if (isObject(v.container)) ev.container = v.container as unknown as VigilEvent['container'];
  else if (p.container_id !== '') ev.container = { id: p.container_id };
  return ev;
}

/** Parses one line; blank lines give null. */
export function parseEventLine(text: string, line = 0): VigilEvent | null {
  if (text.trim() === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new EventParseError(`not JSON: ${(err as Error).message}`, line);
  }
  return toEvent(v, line);
}

/** The events of a JSON lines file, in order ('-' reads stdin). */
export async function* readEvents(path: string): AsyncGenerator<VigilEvent> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    const ev = parseEventLine(text, n);
    if (ev !== null) yield ev;
  }
}

/**
 * Appends events to a file as JSON lines, one write per batch. `close()`
 * flushes and resolves once everything is on disk.
 */
export class EventFileWriter {
  private readonly out: WriteStream;
  private failed: Error | null = null;
  written = 0;
  /** Events not written because the disk fell more than `maxBufferedBytes` behind. */
  dropped = 0;
  /** Bound on what waits in memory for the disk (default 256 MiB). */
  maxBufferedBytes = 256 * 1024 * 1024;

  constructor(path: string) {
    this.out = createWriteStream(path, { flags: 'w' });
    this.out.on('error', (err) => (this.failed = err));
  }

  write(events: readonly VigilEvent[]): void {
    if (this.failed) throw this.failed;
    if (events.length === 0) return;
    if (this.out.writableLength > this.maxBufferedBytes) {
      this.dropped += events.length;
      return;
    }
    let chunk = '';
    for (const ev of events) chunk += `${JSON.stringify(ev)}\n`;
    this.out.write(chunk);
    this.written += events.length;
  }

  /** Resolves once the data is flushed, or rejects with the write error. */
  async close(): Promise<void> {
    if (this.failed) throw this.failed;
    const done = once(this.out, 'finish');
    this.out.end();
    await done;
    if (this.failed) throw this.failed;
  }
}
