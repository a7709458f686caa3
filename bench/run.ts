/**
 * `npm run bench [-- <name>...] [--options]`: the benchmarks, each printing its
 * figures. On demand only, never part of CI's pass/fail (they measure, they do
 * not judge). The kernel benchmarks need root and a built probe object.
 *
 *   compare   vigil beside bpftrace (counting, printing) and auditd: wall and CPU  [--scale 1] [--rounds 6] [--skip-auditd]
 *   overhead  the same with vigil and auditd only
 *   pipeline  events/s and drops at increasing rates         [--seconds 5] [--rates a,b,...] [--path P] [--syscall open|dup2]
 *   engine    engine-only events/s (bench/engine.ts)         [--seconds 3]
 *   memory    RSS and process table under the loop           [--minutes 10]
 *   latency   alert latency p50/p99 under load               [--rate 50000] [--alerts 200] [--seconds 10] [--warmup 2]
 *   tracepoint-floor  what attaching costs the workload before vigil does anything  [--scale 1] [--rounds 3]
 *   containers  events/s while 200 real containers start and stop, with CRI metadata vs ids only  [containers=200]
 *   sensor, ringbuf, outputs, engine-condition: the component benchmarks of their modules
 *   nats      alerts/s the agent publishes into NATS JetStream (needs nats-server)
 *   hub       vigil hub: ingest into PostgreSQL, console queries over 1,000,000 alerts  [--alerts N] [--rows N]
 * With no name: overhead, pipeline, engine, latency, memory, in that order.
 */
import { spawnSync } from 'node:child_process';
import { loadavg, cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { latency } from './latency.js';
import { memory } from './memory.js';
import { compare, type Anchor } from './compare.js';
import { DEFAULT_PATH, DEFAULT_RATES, pipeline } from './pipeline.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scale: { type: 'string', default: '1' },
    rounds: { type: 'string' },
    'skip-auditd': { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rates: { type: 'string' },
    path: { type: 'string' },
    syscall: { type: 'string', default: 'open' },
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50000' },
    alerts: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '2' },
    rows: { type: 'string', default: '1000000' },
  },
});

/** The benchmarks that are scripts of their own: run as a child, with this process's loader (tsx or not). */
function script(name: string, args: string[] = []): () => Promise<void> {
  return async () => {
    const here = fileURLToPath(import.meta.url);
    const file = join(dirname(here), `${name}${here.endsWith('.ts') ? '.ts' : '.js'}`);
    const r = spawnSync(process.execPath, [...process.execArgv, file, ...args], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
  };
}

function compareOptions(anchors: Anchor[]): { scale: number; rounds: number; anchors: Anchor[] } {
  const skip = values['skip-auditd'];
  return {
    scale: Number(values.scale),
    rounds: Number(values.rounds ?? 6),
    anchors: anchors.filter((a) => !(skip && a === 'auditd')),
  };
}

const BENCHES: Record<string, () => Promise<void>> = {
  compare: () => compare(compareOptions(['vigil', 'bpftrace-count', 'bpftrace-print', 'auditd'])),
  overhead: () => compare(compareOptions(['vigil', 'auditd'])),
  pipeline: () =>
    pipeline({
      seconds: Number(values.seconds ?? 5),
      rates: values.rates ? values.rates.split(',').map(Number) : DEFAULT_RATES,
      path: values.path ?? DEFAULT_PATH,
      syscall: values.syscall === 'dup2' ? 'dup2' : 'open',
    }),
  engine: script('engine', [values.seconds ?? '3']),
  memory: () => memory({ minutes: Number(values.minutes) }),
  latency: () =>
    latency({
      rate: Number(values.rate),
      alerts: Number(values.alerts),
      seconds: Number(values.seconds ?? 10),
      warmup: Number(values.warmup),
    }),
  sensor: script('sensor'),
  ringbuf: script('ringbuf'),
  outputs: script('outputs'),
  nats: script('nats'),
  'engine-condition': script('engine-condition'),
  containers: script('containers'),
  hub: script('hub', [
    '--alerts',
    values.alerts === '200' ? '100000' : values.alerts!,
    '--rows',
    values.rows!,
  ]),
  'tracepoint-floor': script('tracepoint-floor', [
    '--scale',
    values.scale!,
    '--rounds',
    values.rounds ?? '3',
  ]),
};
const DEFAULT = ['overhead', 'pipeline', 'engine', 'latency', 'memory'];

const names = positionals.length > 0 ? positionals : DEFAULT;
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
console.log(
  `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Linux ${release()}, Node ${process.versions.node}; ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
for (const name of names) {
  console.log(`\n== ${name}`);
  await BENCHES[name]();
}
