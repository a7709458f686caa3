/**
 * Ring buffer reader throughput: how many small records per second the addon's reader thread
 * hands to JavaScript. A perl loop calls getpriority() and the fixture's on_burst program writes
 * 64 records of 16 bytes per call (test/fixtures/bpf/ring.bpf.c); JavaScript only walks each
 * batch with forEachRecord. Prints records delivered, kernel-side drops (failed reservations),
 * batches, reader stalls (queue full, JavaScript behind) and records/s, twice per round:
 *   live:  from the burst's start until its last record reached JavaScript (kernel writing and
 *          the reader reading at the same time, on this machine's shared cores);
 *   drain: the ring filled first, then read out: the reader's own capacity.
 * Needs root and `make test-bpf`.
 *
 *   node --import tsx bench/ringbuf.ts [calls per round = 50000] [ring MiB = 16] [rounds = 3]
 */
import { BpfObject, forEachRecord } from '../src/kernel/bpf-object.js';
import { SyscallLoop, ensureTracefs, fixture } from '../test/native/support.js';

const BURST = 64; // records per call, as in ring.bpf.c
const calls = Number(process.argv[2] ?? 50_000);
const ringMiB = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 3);

function perCpuSum(object: BpfObject, map: string): bigint {
  const values = object.mapLookupPercpu(map, Buffer.alloc(4)) ?? [];
  return values.reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
}

function openFixture(loop: SyscallLoop): BpfObject {
  const object = BpfObject.open(fixture('ring'), {
    autoload: { on_getppid: false },
    mapMaxEntries: { events: ringMiB * 1024 * 1024 },
  });
  object.load();
  const target = Buffer.alloc(4);
  target.writeUInt32LE(loop.pid);
  object.mapUpdate('target', Buffer.alloc(4), target);
  return object;
}

function report(
  what: string,
  object: BpfObject,
  records: number,
  expected: number,
  seconds: number,
  cpu: NodeJS.CpuUsage,
): void {
  const stats = object.ringBufferStats();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${what}: records ${records} of ${expected}, drops ${perCpuSum(object, 'drops')}, ` +
      `batches ${stats?.batches}, stalls ${stats?.stalls}, ${seconds.toFixed(3)} s, ` +
      `${Math.round(records / seconds).toLocaleString('en')} records/s; this process used ` +
      `${cpuSeconds.toFixed(3)} CPU s (reader thread + JavaScript): ` +
      `${Math.round(records / cpuSeconds).toLocaleString('en')} records per CPU second`,
  );
}

function elapsed(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Producer and reader at the same time: the kernel writes while the reader drains. */
async function live(loop: SyscallLoop): Promise<void> {
  const object = openFixture(loop);
  try {
    let records = 0;
    object.openRingBuffer('events', (batch) => (records += forEachRecord(batch, () => {})));
    object.attach('on_burst');
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await loop.run(calls);
    await object.stopRingBuffer();
    report('live ', object, records, calls * BURST, elapsed(start), process.cpuUsage(cpu));
  } finally {
    object.close();
  }
}

/** The reader alone: the ring is filled first, then read out; the reader's own capacity. */
async function drain(loop: SyscallLoop): Promise<void> {
  const object = openFixture(loop);
  try {
    const fill = Math.floor((ringMiB * 1024 * 1024) / (BURST * 24)) - 1; // 16-byte record + 8-byte header
    object.attach('on_burst');
    await loop.run(fill);
    let records = 0;
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    object.openRingBuffer('events', (batch) => (records += forEachRecord(batch, () => {})));
    await object.stopRingBuffer();
    report('drain', object, records, fill * BURST, elapsed(start), process.cpuUsage(cpu));
  } finally {
    object.close();
  }
}

ensureTracefs();
const loop = await SyscallLoop.start('getpriority');
console.log(
  `${calls} getpriority() calls x ${BURST} records of 16 bytes, ring ${ringMiB} MiB, default batching`,
);
try {
  for (let i = 0; i < rounds; i++) {
    await live(loop);
    await drain(loop);
  }
} finally {
  await loop.stop();
}
