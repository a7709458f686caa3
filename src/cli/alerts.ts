/**
 * `vigil alerts`: query the alert store (read-only, so it runs beside `vigil run`). Filters
 * --since/--rule/--priority/--container go to SQLite's indexes, --where (JSONata) runs on what they
 * return. A table by default, the alert JSON one per line with --json; --follow keeps polling.
 */
import { existsSync } from 'node:fs';
import type { Alert } from '../event/alert.js';
import { defaultDbPath } from '../outputs/config.js';
import { buildFilter, tableHeader, tableRow, type AlertFilter } from '../outputs/query.js';
import { AlertStore } from '../outputs/store.js';

export interface AlertsOptions {
  db?: string;
  since?: string;
  rule?: string;
  priority?: string;
  container?: string;
  where?: string;
  follow?: boolean;
  json?: boolean;
  out?: (text: string) => void | Promise<void>;
  err?: (line: string) => void;
  /** Ends --follow (SIGINT does too). */
  signal?: AbortSignal;
  pollMs?: number;
}

/** Writes to stdout and waits when the pipe is full, so a huge store never piles up in memory. */
async function writeStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
}

export async function run(opts: AlertsOptions): Promise<number> {
  const out = opts.out ?? writeStdout;
  const err = opts.err ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const db = opts.db ?? defaultDbPath();
  let filter: AlertFilter;
  try {
    filter = buildFilter(opts);
  } catch (e) {
    err(`vigil alerts: ${(e as Error).message}`);
    return 1;
  }
  if (!existsSync(db)) {
    err(`vigil alerts: no alert store at ${db} (use --db FILE)`);
    return 1;
  }
  let store: AlertStore;
  try {
    store = AlertStore.open(db, { readonly: true });
  } catch (e) {
    err(`vigil alerts: cannot open ${db}: ${(e as Error).message}`);
    return 1;
  }
  const width = process.stdout.columns ?? 200;
  let lastId = 0;
  const print = async (): Promise<void> => {
    let chunk = '';
    for (const row of store.iterate({ ...filter.query, afterId: lastId })) {
      lastId = row.id;
      if (filter.where || !opts.json) {
        const alert = JSON.parse(row.json) as Alert;
        if (filter.where && !(await filter.where(alert))) continue;
        chunk += `${opts.json ? row.json : tableRow(alert, width)}\n`;
      } else {
        chunk += `${row.json}\n`;
      }
      if (chunk.length > 65536) {
        await out(chunk);
        chunk = '';
      }
    }
    if (chunk) await out(chunk);
  };
  try {
    if (!opts.json) await out(`${tableHeader()}\n`);
    await print();
    if (!opts.follow) return 0;
    const stop = new AbortController();
    const onSigint = (): void => stop.abort();
    process.once('SIGINT', onSigint);
    opts.signal?.addEventListener('abort', onSigint);
    try {
      while (!stop.signal.aborted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, opts.pollMs ?? 500);
          stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
        if (!stop.signal.aborted) await print();
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    return 0;
  } catch (e) {
    err(`vigil alerts: ${(e as Error).message}`);
    return 1;
  } finally {
    store.close();
  }
}
