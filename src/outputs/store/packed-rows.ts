/**
 * Alerts packed once, at serialisation, for the store's writer thread and the sinks: the text
 * columns of each row UTF-8 encoded back to back in one buffer outside the V8 heap, the numbers in
 * another. The buffers move to the writer thread and back with its answer (no copy); the sinks
 * then read each alert's JSON bytes (and priority) from them. So neither the ~1.5 KB JSON string
 * of an alert nor the alert object lives until the commit and the delivery: with the agent's 2 MB
 * semi-space, a burst's worth of them would be promoted and collected by mark-compact (and
 * structured cloning strings to the thread costs more than inserting them).
 */
import type { Alert } from '../../event/alert.js';
import { priorityRank } from '../priority.js';

/** Its buffers are replaced by the writer thread's returned copies of them (moved, not copied). */
export interface PackedRows {
  count: number;
  /** Per row, back to back: uuid, time, rule, hostname, container_id, exe, json. */
  text: Uint8Array;
  /** End offset in `text` of each of those fields (TEXT_FIELDS per row). */
  ends: Uint32Array;
  /** Per row: time_ms, priority rank, pid (NaN: none), whether exe is set (1/0). */
  nums: Float64Array;
}

export const TEXT_FIELDS = 7;
export const NUM_FIELDS = 4;
/** Field index of the alert JSON within a row. */
const JSON_FIELD = 6;
/** The encoding buffer is reused between batches up to this size (a larger one is dropped after use). */
const KEEP_SCRATCH = 8 * 1024 * 1024;

let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** Writes `s` as UTF-8 at `off` (room for the worst case first: one pass, no byteLength). */
function put(s: string, off: number): number {
  const need = off + s.length * 3;
  if (need > scratch.length) {
    const bigger = Buffer.allocUnsafeSlow(Math.max(need, scratch.length * 2));
    scratch.copy(bigger, 0, 0, off);
    scratch = bigger;
  }
  return off + scratch.write(s, off);
}

/**
 * Packs alerts one at a time as they are serialised, so each JSON string can die at once (a batch
 * of them held together outgrows the 2 MB semi-space and is promoted).
 */
export class RowPacker {
  private readonly ends: Uint32Array;
  private readonly nums: Float64Array;
  private off = 0;
  count = 0;

  constructor(max: number) {
    this.ends = new Uint32Array(max * TEXT_FIELDS);
    this.nums = new Float64Array(max * NUM_FIELDS);
  }

  /** `json` is JSON.stringify(a), made once for the store and every sink. */
  add(a: Alert, json: string): void {
    const { ends, nums } = this;
    const i = this.count++;
    const proc = a.event?.proc;
    const timeMs = Date.parse(a.time);
    const exe = typeof proc?.exe === 'string' ? proc.exe : undefined;
    const f = i * TEXT_FIELDS;
    let off = this.off;
    ends[f] = off = put(String(a.uuid), off);
    ends[f + 1] = off = put(String(a.time), off);
    ends[f + 2] = off = put(String(a.rule), off);
    ends[f + 3] = off = put(String(a.hostname ?? ''), off);
    ends[f + 4] = off = put(String(proc?.container_id ?? a.event?.container?.id ?? ''), off);
    ends[f + 5] = off = put(exe ?? '', off);
    ends[f + 6] = off = put(json, off);
    this.off = off;
    const m = i * NUM_FIELDS;
    nums[m] = Number.isFinite(timeMs) ? timeMs : Date.now();
    nums[m + 1] = priorityRank(a.priority);
    nums[m + 2] = typeof proc?.pid === 'number' ? proc.pid : NaN;
    nums[m + 3] = exe === undefined ? 0 : 1;
  }

  /** The rows added, in buffers of their own (the encoding buffer is reused). */
  finish(): PackedRows {
    const text = Buffer.allocUnsafeSlow(this.off);
    scratch.copy(text, 0, 0, this.off);
    if (scratch.length > KEEP_SCRATCH) scratch = Buffer.allocUnsafeSlow(64 * 1024);
    const n = this.count;
    return {
      count: n,
      text,
      ends: this.ends.slice(0, n * TEXT_FIELDS),
      nums: this.nums.slice(0, n * NUM_FIELDS),
    };
  }
}

/** Packs alerts whose JSON is `jsons[i]`. */
export function packRows(alerts: readonly Alert[], jsons: readonly string[]): PackedRows {
  const p = new RowPacker(alerts.length);
  for (let i = 0; i < alerts.length; i++) p.add(alerts[i], jsons[i]);
  return p.finish();
}

/** The buffers of `rows`, to move them to and from the writer thread without a copy. */
export function buffersOf(rows: readonly PackedRows[]): ArrayBuffer[] {
  return rows.flatMap((r) => [r.text.buffer, r.ends.buffer, r.nums.buffer] as ArrayBuffer[]);
}

/** False once its buffers went to a writer thread that died with them. */
export function isReadable(rows: PackedRows): boolean {
  return rows.count === 0 || rows.text.byteLength > 0;
}

/** Row `i`'s priority rank (0 = Emergency). */
export function rankAt(rows: PackedRows, i: number): number {
  return rows.nums[i * NUM_FIELDS + 1];
}

/** Row `i`'s alert JSON, as UTF-8 bytes (a view into `rows.text`, no copy). */
export function jsonBytes(rows: PackedRows, i: number): Buffer {
  const f = i * TEXT_FIELDS + JSON_FIELD;
  return Buffer.from(
    rows.text.buffer,
    rows.text.byteOffset + rows.ends[f - 1],
    rows.ends[f] - rows.ends[f - 1],
  );
}
