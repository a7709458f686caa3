/**
 * Agent-side NATS JetStream publish rate. Starts Debian's nats-server (JetStream, a temp store, on
 * loopback), opens the outputs as the agent does (SQLite store with the outbox, a `nats` sink with
 * its defaults) and submits alerts in chunks, as detection would, turn after turn. Prints the
 * alerts/s acknowledged by the stream (target 20000), the CPU the agent process spent per alert,
 * and its event loop's delay while publishing (what detection on the same loop would wait); then
 * the same without the store (`store.enabled: false`), which tells publishing's cost from the
 * store's.
 * "Without slowing detection": detection (the bundled rules over bench/engine-mix's events, a
 * chunk per event-loop turn, as the agent's ring batches come) runs on the same loop throughout,
 * and its events/s alone, while alerts are published, and while every event is also published
 * (`events.enabled`, the playground's feed) are printed side by side.
 * Run: node --max-semi-space-size=2 dist/bench/nats.js [alerts=100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { bundledRulesDir } from '../src/config/paths.js';
import { loadRuleset } from '../src/engine/load-ruleset.js';
import { openEventPublishers, openOutputs, type NatsEventPublisher } from '../src/outputs/index.js';
import { benchAlerts } from './bench-alerts.js';
import { mix } from './engine-mix.js';
import { startNats } from '../test/support/nats-server.js';

const total = Number(process.argv[2] ?? 100_000);
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const ruleset = loadRuleset([bundledRulesDir()], 'all');
const events = mix(10_000);
const CHUNK = 256;

/**
 * Detection on this event loop: a chunk of events per turn (offered to `publisher` too, as the
 * agent does) until stopped; gives events/s of wall time and of this process's CPU.
 */
function detection(publisher?: NatsEventPublisher): { stop(): string } {
  let n = 0;
  let running = true;
  const t0 = now();
  const loop = (): void => {
    if (!running) return;
    const chunk = events.slice(n % events.length, (n % events.length) + CHUNK);
    for (const ev of chunk) ruleset.evaluate(ev);
    publisher?.offer(chunk);
    n += chunk.length;
    setImmediate(loop);
  };
  setImmediate(loop);
  return {
    stop() {
      running = false;
      return `${Math.round(n / ((now() - t0) / 1000))} events/s`;
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-nats-'));
const server = await startNats(join(dir, 'nats'));
const bare = await startNats(join(dir, 'nats-no-store'));
try {
  const alone = detection();
  await sleep(3000);
  console.log(`detection alone (bundled rules, engine mix, ${CHUNK} events a turn): ${alone.stop()}`);
  await run(true, server.url);
  await run(false, bare.url);
  await publishEvents(bare.url);
} finally {
  await Promise.all([server.stop(), bare.stop()]);
  rmSync(dir, { recursive: true, force: true });
}

async function run(store: boolean, url: string): Promise<void> {
  const alertAt = benchAlerts();
  const out = await openOutputs(
    {
      store: store ? { path: join(dir, 'alerts.db') } : { enabled: false },
      sinks: [{ type: 'nats', servers: [url], queue_size: 20_000 }],
    },
    pino({ level: 'warn' }),
  );
  // The stream is created on the first send: one alert first, so the figure is publishing alone.
  out.submit(alertAt(total));
  while (out.health().sinks[0].delivered < 1) await sleep(5);

  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const detecting = detection();
  const t0 = now();
  const cpu0 = process.cpuUsage();
  const delivered = (): number => out.health().sinks[0].delivered - 1;
  for (let i = 0; i < total; i += 1000) {
    const end = Math.min(total, i + 1000);
    for (let j = i; j < end; j++) out.submit(alertAt(j));
    await turn();
    // At most a few batches ahead of the stream: this measures publishing, not queueing.
    while (end - delivered() > 5000) await sleep(1);
  }
  while (delivered() < total) await sleep(1);
  const sec = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const detected = detecting.stop();
  loopDelay.disable();
  const h = out.health().sinks[0];
  await out.close();
  const json = JSON.stringify(alertAt(0)).length;
  console.log(
    `nats publish, ${store ? 'store and outbox' : 'no store'}: ${total} alerts (${json} B of JSON each) ` +
      `acknowledged by the stream in ${(sec * 1000).toFixed(0)} ms = ${Math.round(total / sec)} alerts/s ` +
      `(target 20000); ${((cpu.user + cpu.system) / total).toFixed(1)} µs of agent CPU per alert (all threads); ` +
      `event loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(2)} ms, max ` +
      `${(loopDelay.max / 1e6).toFixed(2)} ms; failed attempts ${h.failedAttempts}; ` +
      `detection meanwhile ${detected}; ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`,
  );
}

/** Every event detection sees also published (`events.enabled`, no sampling), for 5 s. */
async function publishEvents(url: string): Promise<void> {
  const [publisher] = openEventPublishers(
    { sinks: [{ type: 'nats', servers: [url], events: { enabled: true } }] },
    'bench',
    pino({ level: 'warn' }),
  );
  const detecting = detection(publisher);
  await sleep(5000);
  const detected = detecting.stop();
  const { published, dropped } = publisher.stats();
  await publisher.close();
  console.log(
    `events publishing (every event, no sampling) for 5 s: detection ${detected}; ` +
      `${Math.round(published / 5)} events/s published, ${dropped} dropped (queue full: detection did not wait); ` +
      `${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`,
  );
}
