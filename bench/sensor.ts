/**
 * Kernel-to-TypeScript throughput of the sensor, on two workloads:
 *   - a storm of 5,000 short processes (bash running /usr/bin/true 5,000 times)
 *   - a loop of 1,000,000 opens of one marker file (python3)
 * For each: events decoded, wall time from the workload's start until its last
 * event was decoded, decoded events/s over that time (bounded by how fast the
 * workload runs), the decoder's capacity (records / wall time spent decoding),
 * records per CPU-second of the agent process (the figure that holds on a
 * busy machine), and the kernel's drop counter.
 * Needs root. Run: node --import tsx bench/sensor.ts  (or node dist/bench/sensor.js)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventType, VigilEvent } from '../src/event/types.js';
import { Decoder } from '../src/sensor/decode/decoder.js';
import { ProcessTable } from '../src/sensor/process-table.js';
import { Sensor, type SensorStats } from '../src/sensor/sensor.js';
import { UserDb } from '../src/sensor/users.js';
import { buildRecord, frame } from '../test/sensor/records.js';

export interface WorkloadResult {
  name: string;
  expected: number;
  seen: number;
  records: number;
  seconds: number;
  eventsPerSecond: number;
  decodeCapacityPerSecond: number;
  /** Records per CPU-second of the whole agent process (reader thread, decode, consumer). */
  cpuCapacityPerSecond: number;
  dropped: number;
}

interface Workload {
  name: string;
  types: EventType[];
  expected: number;
  cmd: string;
  args: string[];
  /** Counts the events that belong to the workload. */
  matches: (e: VigilEvent, rootPid: number) => boolean;
}

function waitExit(cmd: string, args: string[]): { pid: number; done: Promise<number | null> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return { pid: child.pid!, done: new Promise((r) => child.on('close', r)) };
}

export async function runWorkload(w: Workload, ringBytes?: number): Promise<WorkloadResult> {
  let seen = 0;
  let rootPid = -1;
  let rootExited = false;
  const sensor = await Sensor.start({
    // procexit too: the root's exit says the workload's records are in (an unwanted type is not delivered).
    types: new Set([...w.types, 'procexit']),
    ringBytes,
    onEvents: (events) => {
      for (const e of events) {
        if (w.matches(e, rootPid)) seen++;
        else if (e.type === 'procexit' && e.proc.pid === rootPid) rootExited = true;
      }
    },
  });
  const before: SensorStats = sensor.stats();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const child = waitExit(w.cmd, w.args);
  rootPid = child.pid;
  await child.done;
  // Everything the workload did is in the ring before its procexit: wait for that.
  const deadline = Date.now() + 120_000;
  while (!rootExited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const after = await sensor.stop();
  const records = after.records - before.records;
  return {
    name: w.name,
    expected: w.expected,
    seen,
    records,
    seconds,
    eventsPerSecond: records / seconds,
    decodeCapacityPerSecond: records / ((after.decodeNs - before.decodeNs) / 1e9),
    cpuCapacityPerSecond: records / ((cpu.user + cpu.system) / 1e6),
    dropped: after.dropped - before.dropped,
  };
}

export function processStorm(n = 5000): Workload {
  return {
    name: `${n} short processes`,
    types: ['execve'],
    expected: n,
    cmd: '/usr/bin/bash',
    args: ['-c', `for ((i = 0; i < ${n}; i++)); do /usr/bin/true; done`],
    matches: (e, root) => e.type === 'execve' && e.proc.exe === '/usr/bin/true' && e.proc.ppid === root,
  };
}

export function openLoop(marker: string, n = 1_000_000): Workload {
  return {
    name: `${n.toLocaleString('en')} opens`,
    types: ['openat'],
    expected: n,
    cmd: '/usr/bin/python3',
    args: [
      '-c',
      `import os\np = ${JSON.stringify(marker)}\nfor _ in range(${n}): os.close(os.open(p, os.O_RDONLY))`,
    ],
    matches: (e) => e.type === 'openat' && e.fd?.name === marker,
  };
}

function print(r: WorkloadResult): void {
  const f = (n: number): string => Math.round(n).toLocaleString('en');
  console.log(
    `${r.name.padEnd(22)} seen ${f(r.seen)}/${f(r.expected)}  records ${f(r.records)}  ` +
      `${r.seconds.toFixed(2)} s  ${f(r.eventsPerSecond)} events/s end to end  ` +
      `decoder ${f(r.decodeCapacityPerSecond)} events/s  per agent CPU-second ${f(r.cpuCapacityPerSecond)}  ` +
      `drops ${r.dropped}`,
  );
}

/**
 * The decoder alone on records built in memory (no kernel): events/s per
 * CPU-second for opens and for process lifecycles (clone + exec + exit), the
 * figure that does not depend on how loaded the machine is.
 */
export function decodeInMemory(): { opens: number; lifecycles: number } {
  const users = new UserDb({ statIntervalMs: 0 });
  const table = new ProcessTable({ bootToEpochNs: 0 });
  table.seedFromProc();
  const dec = new Decoder({ table, users, bootToEpochNs: 0 });
  const me = { pid: process.pid, tid: process.pid, ppid: process.ppid, comm: 'bench' };
  const open = buildRecord({
    type: 'openat',
    hdr: { ...me, retval: 3 },
    payload: { fd: 3, dirfd: -100 },
    strings: ['/tmp/vigil-bench/marker-file'],
  });
  const opens = frame(new Array(1000).fill(open));
  const env = Object.entries(process.env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\0')
    .slice(0, 4000);
  const lifecycle: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const child = 4_000_000 + i;
    const kid = { pid: child, tid: child, ppid: process.pid, comm: 'true' };
    lifecycle.push(
      buildRecord({ type: 'clone', hdr: me, payload: { child_pid: child, child_vpid: child } }),
      buildRecord({
        type: 'execve',
        hdr: kid,
        payload: { argc: 2 },
        strings: ['/usr/bin/true', 'true\0x', env, '/tmp', '/user.slice'],
      }),
      buildRecord({ type: 'procexit', hdr: kid, payload: {} }),
    );
  }
  const lifecycles = frame(lifecycle);
  const rate = (batch: Buffer, rounds: number): number => {
    let n = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < rounds; i++) n += dec.decodeBatch(batch, []);
    const c = process.cpuUsage(c0);
    return n / ((c.user + c.system) / 1e6);
  };
  rate(opens, 200); // warm up
  const result = { opens: rate(opens, 1000), lifecycles: rate(lifecycles, 100) };
  users.close();
  return result;
}

async function main(): Promise<void> {
  const mem = decodeInMemory();
  const f = (n: number): string => Math.round(n).toLocaleString('en');
  console.log(
    `decoder, in-memory records: ${f(mem.opens)} opens/CPU-s, ${f(mem.lifecycles)} lifecycle records/CPU-s`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const marker = join(dir, 'marker-file');
  writeFileSync(marker, '');
  try {
    print(await runWorkload(processStorm()));
    print(await runWorkload(openLoop(marker)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
