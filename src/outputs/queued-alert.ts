/**
 * An alert waiting in a sink's queue, and its lazy form for delivery: a durable sink's alerts stay
 * packed (store/packed-rows.ts) until a sink or a throttle reads them.
 */
import type { Alert } from '../event/alert.js';
import { jsonBytes, type PackedRows } from './store/packed-rows.js';

/** An alert as handed to the runners: `id` is its store row, absent when the store could not take it. */
export interface QueuedAlert {
  id?: number;
  rank: number;
  /** The alert and its JSON.stringify(alert), done once for the store and every sink... */
  alert?: Alert;
  /** (for durable sinks: without the alert, which is decoded when needed)... */
  json?: string;
  /** ...or, for durable sinks, the packed batch holding its JSON's bytes and its row there. */
  rows?: PackedRows;
  row?: number;
  /** When it was queued (ms), for the batch wait. */
  at: number;
}

/**
 * An alert without its object: still packed (the file sink writes its bytes), or its JSON text.
 * The text and the alert object are decoded only for a sink (or a throttle) that reads them.
 */
export class LazyItem {
  readonly summary = undefined;
  private parsed?: Alert;
  constructor(
    private text: string | undefined,
    private readonly rows?: PackedRows,
    private readonly row = 0,
  ) {}

  get bytes(): Buffer | undefined {
    return this.rows && jsonBytes(this.rows, this.row);
  }

  get json(): string {
    return (this.text ??= jsonBytes(this.rows!, this.row).toString('utf8'));
  }

  get alert(): Alert {
    return (this.parsed ??= JSON.parse(this.json) as Alert);
  }
}
