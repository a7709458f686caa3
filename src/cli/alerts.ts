/**
 * `vigil alerts`: query the alert store (read-only, so it runs beside `vigil run`), as journalctl
 * reads the journal. Filters --since/--until/--rule/--priority/--container go to SQLite, --where
 * (JSONata) runs on what they return; -n bounds how many, -r prints newest first, --count prints
 * only the number. A table by default (times in RFC 3339 with their zone), the alert JSON one per
 * line with --json; --follow keeps polling. A closed pipe (`| head`) ends it quietly, exit 0.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Alert } from '../event/alert.js';
import {
  AlertStore,
  buildFilter,
  countAlerts,
  defaultDbPath,
  selectAlerts,
  tableHeader,
  tableRow,
  type AlertFilter,
  type AlertFilterOptions,
  type SelectedAlert,
} from '../outputs/index.js';
import { OutputClosedError, outputWriter } from './stdout-writer.js';

type Out = (text: string) => void | Promise<void>;

export interface AlertsOptions extends AlertFilterOptions {
  db?: string;
  count?: boolean;
  follow?: boolean;
  json?: boolean;
  /** Table times in UTC rather than local time. */
  utc?: boolean;
  out?: Out;
  err?: (line: string) => void;
  /** Ends --follow (SIGINT does too). */
  signal?: AbortSignal;
  pollMs?: number;
}

/** Options that contradict each other: refused with the reason, not guessed at. */
function conflict(o: AlertsOptions): string | undefined {
  if (!o.follow) return undefined;
  if (o.reverse) return '--follow prints alerts as they come, oldest first: it cannot be combined with -r';
  if (o.count) return '--count prints one number: it cannot be combined with --follow';
  if (o.until !== undefined) return '--until ends before new alerts: it cannot be combined with --follow';
  return undefined;
}

function open(o: AlertsOptions, err: (l: string) => void): { store: AlertStore; filter: AlertFilter } | null {
  const db = o.db ?? defaultDbPath();
  let filter: AlertFilter;
  try {
    const problem = conflict(o);
    if (problem) throw new Error(problem);
    // --follow alone shows the newest 10 first, as journalctl -f does.
    filter = buildFilter({ ...o, lines: o.lines ?? (o.follow ? '10' : undefined) });
  } catch (e) {
    err(`vigil alerts: ${(e as Error).message}`);
    return null;
  }
  if (!existsSync(db)) {
    err(`vigil alerts: no alert store at ${db} (use --db FILE)`);
    return null;
  }
  try {
    return { store: AlertStore.open(db, { readonly: true }), filter };
  } catch (e) {
    err(`vigil alerts: cannot open ${db}: ${(e as Error).message}`);
    return null;
  }
}

/** Writes the alerts in chunks, so a full pipe holds the reading back. */
async function print(
  alerts: AsyncIterable<SelectedAlert>,
  line: (a: SelectedAlert) => string,
  out: Out,
): Promise<void> {
  let chunk = '';
  for await (const a of alerts) {
    chunk += `${line(a)}\n`;
    if (chunk.length > 65536) {
      await out(chunk);
      chunk = '';
    }
  }
  if (chunk) await out(chunk);
}

/** Polls for alerts stored after `lastId` until SIGINT or `signal`: each poll reads up to a snapshot. */
async function follow(
  store: AlertStore,
  lastId: number,
  o: AlertsOptions,
  emit: (afterId: number, throughId: number) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once('SIGINT', onSigint);
  o.signal?.addEventListener('abort', onSigint);
  try {
    while (!stop.signal.aborted) {
      // Rejects (AbortError) on stop; the loop condition then ends it.
      await sleep(o.pollMs ?? 500, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) break;
      const through = store.maxId();
      if (through > lastId) await emit(lastId, through);
      lastId = through;
    }
  } finally {
    process.off('SIGINT', onSigint);
    o.signal?.removeEventListener('abort', onSigint);
  }
}

export async function run(o: AlertsOptions): Promise<number> {
  const out = o.out ?? outputWriter();
  const err = o.err ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const opened = open(o, err);
  if (!opened) return 1;
  const { store, filter } = opened;
  const width = process.stdout.columns ?? 200;
  const line = (a: SelectedAlert): string =>
    o.json ? a.json : tableRow(a.alert ?? (JSON.parse(a.json) as Alert), width, { utc: o.utc });
  try {
    if (o.count) {
      await out(`${await countAlerts(store, filter)}\n`);
      return 0;
    }
    // One snapshot: what --follow prints next starts after it.
    const through = store.maxId();
    if (!o.json) await out(`${tableHeader()}\n`);
    await print(selectAlerts(store, filter, { ...filter.query, throughId: through }), line, out);
    if (o.follow) {
      const next = { ...filter, lines: undefined };
      await follow(store, through, o, (after, to) =>
        print(selectAlerts(store, next, { ...filter.query, afterId: after, throughId: to }), line, out),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof OutputClosedError) return 0;
    err(`vigil alerts: ${(e as Error).message}`);
    return 1;
  } finally {
    store.close();
  }
}
