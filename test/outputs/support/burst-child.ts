/**
 * The pipeline in a child process, for the kill -9 test. `burst`: submits COUNT alerts in small
 * chunks (as detection would, turn after turn) and prints `committed N` after each chunk, once
 * those alerts are in SQLite. `resume`: opens the same outputs, submits nothing, waits until the
 * sink owes nothing, prints `done`. The sink: HTTP, or NATS JetStream for a `nats://` URL.
 * Usage: node --import tsx burst-child.ts burst|resume DB URL [COUNT]
 */
import { writeSync } from 'node:fs';
import pino from 'pino';
import { openOutputs, type SinkConfig } from '../../../src/outputs/index.js';
import { makeAlert } from './alerts.js';

const [mode, db, url, countArg] = process.argv.slice(2);
const common = {
  name: 'siem',
  batch: { max_size: 100, max_wait_ms: 0 },
  retry: { initial_ms: 50, max_ms: 200 },
};
const sink: SinkConfig = url.startsWith('nats://')
  ? { type: 'nats', servers: [url], ...common }
  : { type: 'http', url, ...common };
const out = await openOutputs(
  { store: { path: db }, sinks: [sink] },
  pino({ level: 'warn' }, pino.destination(2)),
);
const say = (s: string): void => void writeSync(1, `${s}\n`);
const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

if (mode === 'burst') {
  const count = Number(countArg ?? 10_000);
  for (let i = 0; i < count; i += 50) {
    for (let j = i; j < Math.min(count, i + 50); j++) out.submit(makeAlert(j));
    await turn(); // the chunk was committed at the end of the previous turn
    say(`committed ${out.health().store.committed}`);
  }
  say('submitted');
  await new Promise(() => undefined); // keep delivering until killed
} else {
  for (;;) {
    const s = out.health().sinks[0];
    if (s.outboxLag === 0 && s.queued === 0 && s.delivered > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await out.close();
  say('done');
}
