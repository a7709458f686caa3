/**
 * Output pipeline benchmark. Prints:
 *  - sustained alerts/s committed into SQLite with the outbox on (a durable file sink tracking
 *    its cursor and in-flight batch in the same database), and the sink's delivered alerts/s;
 *  - latency from submit() to the alert's line arriving on the agent's stdout (a child process's
 *    real stdout pipe, read here), p50/p99/max, at a steady rate, with the store on (BENCH_NO_STORE=1:
 *    off). The child runs with the agent's --max-semi-space-size=2 (SEMI=n to try another).
 * Run: node --max-semi-space-size=2 dist/bench/outputs.js [alerts=200000] [rate/s=5000] [seconds=5]
 * (as the agent runs; the figures depend on it: see docs/performance.md). alerts=0 or seconds=0
 * skips that part.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openOutputs } from '../src/outputs/index.js';
import { makeAlert } from '../test/outputs/support/alerts.js';
import { benchAlerts } from './bench-alerts.js';

const now = (): number => performance.timeOrigin + performance.now();
/** CPU seconds the main thread has used (its task's utime + stime): the other threads are not in it. */
const mainThreadCpu = (): number => {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15, in clock ticks (100 Hz here)
};
/** How V8 was started: the agent runs with --max-semi-space-size=2 (bin/vigil.js). */
const v8Flags = (): string =>
  [...process.execArgv, process.env.NODE_OPTIONS ?? ''].filter((a) => a.startsWith('--max-')).join(' ') ||
  'node defaults';
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function throughput(total: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  // Alerts are made as the engine makes them, one per event, not held in a giant array whose
  // garbage collection would be charged to the store.
  const alertAt = benchAlerts();
  const out = await openOutputs(
    {
      store: { path: join(dir, 'alerts.db') },
      sinks: [{ type: 'file', path: join(dir, 'alerts.jsonl'), queue_size: 20_000 }],
    },
    pino({ level: 'warn' }),
  );
  const t0 = now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const committed = (): number => out.health().store.committed;
  for (let i = 0; i < total; i += 1000) {
    const end = Math.min(total, i + 1000);
    for (let j = i; j < end; j++) out.submit(alertAt(j));
    await turn();
    // Commits run on the store's writer thread: the producer keeps at most two batches ahead, so
    // this measures committing, not queueing.
    while (end - committed() > 2000) await sleep(1);
  }
  while (committed() < total) await sleep(1);
  const committedAt = now();
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const mainSec = mainThreadCpu() - main0;
  while (out.health().sinks[0].delivered < total) await sleep(5);
  const deliveredAt = now();
  const h = out.health();
  await out.close();
  rmSync(dir, { recursive: true, force: true });
  const json = JSON.stringify(alertAt(0)).length;
  console.log(
    `store+outbox (${v8Flags()}): ${total} alerts (${json} B of JSON each) committed in ` +
      `${(committedAt - t0).toFixed(0)} ms = ${Math.round(total / ((committedAt - t0) / 1000))} alerts/s ` +
      `(target 50000), ${Math.round(total / cpuSec)} per CPU-second of this process (all threads), ` +
      `${Math.round(total / mainSec)} per CPU-second of its main thread; ` +
      `file sink delivered all at ${Math.round(total / ((deliveredAt - t0) / 1000))} alerts/s ` +
      `(store ${h.store.state}, unstored ${h.store.unstored})`,
  );
}

/** Child: the pipeline with its stdout sink on this process's stdout; submits at `rate`/s. */
async function latencyChild(rate: number, seconds: number, db: string): Promise<void> {
  const out = await openOutputs(
    { store: db === 'none' ? { enabled: false } : { path: db }, sinks: [{ type: 'stdout', format: 'json' }] },
    pino({ level: 'warn' }, pino.destination(2)),
  );
  const base = makeAlert(0);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const perMs = rate / 1000;
  const end = now() + seconds * 1000;
  let sent = 0;
  const start = now();
  while (now() < end) {
    const due = Math.floor((now() - start) * perMs);
    for (; sent < due; sent++) {
      out.submit({ ...base, uuid: String(sent), output_fields: { ...base.output_fields, 'bench.t': now() } });
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  loopDelay.disable();
  await out.close();
  writeSync(
    2,
    `child submitted ${sent}; its event loop's delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(2)} ms, max ${(loopDelay.max / 1e6).toFixed(2)} ms\n`,
  );
}

async function latency(rate: number, seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const child = spawn(
    process.execPath,
    [
      // As the agent runs (bin/vigil.js): a small young generation means short scavenges.
      `--max-semi-space-size=${process.env.SEMI ?? 2}`,
      '--import',
      'tsx',
      new URL(import.meta.url).pathname,
      'child',
      String(rate),
      String(seconds),
      process.env.BENCH_NO_STORE ? 'none' : join(dir, 'a.db'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lat: number[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const t = now();
    lat.push(t - (JSON.parse(line) as { output_fields: { 'bench.t': number } }).output_fields['bench.t']);
  });
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const q = (p: number): string => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  console.log(
    `alert-to-stdout at ${rate}/s for ${seconds}s (store ${process.env.BENCH_NO_STORE ? 'off' : 'on'}): ${lat.length} alerts, p50 ${q(0.5)} ms, ` +
      `p99 ${q(0.99)} ms (target < 5), max ${lat[lat.length - 1].toFixed(2)} ms`,
  );
}

/**
 * How fast this machine is right now, so the figures above can be read on a shared machine:
 * NODE-NOTES measured 360k–390k rows/s for this insert, and JSON.stringify of one alert runs at
 * a few hundred thousand per second on an idle core.
 */
async function reference(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const db = new Database(join(dir, 'ref.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (a, b, c, d, e, f, g, h, i, j, k, l)');
  const st = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const tx = db.transaction(() => {
    for (let i = 0; i < 1000; i++)
      st.run(i, i, i, 'openat', '/usr/bin/cat', 'cat x', 4242, 0, 'root', '/etc/x', 3, 'x');
  });
  let t = now();
  for (let k = 0; k < 100; k++) tx();
  const rows = Math.round(100_000 / ((now() - t) / 1000));
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const a = makeAlert(0);
  t = now();
  for (let i = 0; i < 20_000; i++) JSON.stringify(a);
  const json = Math.round(20_000 / ((now() - t) / 1000));
  console.log(
    `machine reference now: ${rows} plain 12-column rows/s in transactions of 1000 (NODE-NOTES: 360k-390k), ` +
      `${json} JSON.stringify(alert)/s; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`,
  );
}

const [a1, a2, a3, a4] = process.argv.slice(2);
if (a1 === 'child') await latencyChild(Number(a2), Number(a3), a4);
else {
  await reference();
  if (Number(a1) !== 0) await throughput(Number(a1 ?? 200_000));
  if (Number(a3) !== 0) await latency(Number(a2 ?? 5000), Number(a3 ?? 5));
}
