/**
 * `npm run bench -- compare`: vigil beside the anchors on one workload (bench/workload.c):
 * 500,000 open/close of one file, 2,000 fork+exec of /bin/true, 20,000 loopback
 * connect+accept+close (times --scale). The anchors: bpftrace counting the three syscalls in the
 * kernel (the floor of one tracepoint), bpftrace printing every event, and auditd with typical
 * watches. Each agent runs in turn with a no-agent run beside it; medians of --rounds; wall and
 * CPU (the workload's own, probes included, plus the agent process's net of its background rate),
 * as ratios to no agent. auditd comes last: once audit has been enabled the kernel keeps its
 * syscall work for new tasks until reboot unless a `never,task` rule stops it (bench/auditd.ts),
 * so it is measured after the others with its own no-agent runs.
 *   node dist/bench/run.js compare [--scale 1] [--rounds 6] [--skip-auditd]
 * `overhead` is the same with vigil and auditd only.
 */
import { loadavg } from 'node:os';
import { droppedAtStop, startAgent } from './agent.js';
import { startAuditd } from './auditd.js';
import { startBpftrace } from './bpftrace.js';
import { runWorkload, workloadBinary } from './workload.js';

const WORKLOADS = [
  { name: 'open/close', args: (s: number) => ['open', String(Math.round(500_000 * s))] },
  { name: 'fork+exec', args: (s: number) => ['exec', String(Math.round(2_000 * s))] },
  { name: 'connect', args: (s: number) => ['connect', String(Math.round(20_000 * s))] },
];

export type Anchor = 'vigil' | 'bpftrace-count' | 'bpftrace-print' | 'auditd';

const LABEL: Record<Anchor | 'none', string> = {
  none: 'no agent',
  vigil: 'vigil, bundled rules',
  'bpftrace-count': 'bpftrace, counting the three syscalls in the kernel',
  'bpftrace-print': 'bpftrace, printing every event',
  auditd: 'auditd, typical watches (execve, connect, opens of shadow, /etc and /usr/bin writes)',
};

interface Running {
  cpuSeconds(): number;
  stop(): Promise<void>;
  /** Kernel drops the agent reported at stop (vigil only). */
  dropped?: () => number | null;
}

async function start(anchor: Anchor | 'none'): Promise<Running> {
  switch (anchor) {
    case 'none':
      return { cpuSeconds: () => 0, stop: async () => {} };
    case 'vigil': {
      const agent = await startAgent();
      return {
        cpuSeconds: () => agent.cpuSeconds(),
        stop: () => agent.stop(),
        dropped: () => droppedAtStop(agent.log()),
      };
    }
    case 'auditd': {
      const audit = startAuditd();
      return { cpuSeconds: () => audit.cpuSeconds(), stop: async () => audit.stop() };
    }
    default:
      return startBpftrace(anchor === 'bpftrace-count' ? 'count' : 'print');
  }
}

/** One sample: wall seconds, and CPU seconds of the workload and of the agent. */
interface Sample {
  wall: number;
  cpu: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the three workloads under one configuration; pushes a sample per workload. */
async function measure(
  config: Anchor | 'none',
  scale: number,
  samples: Map<string, Sample[]>,
  notes: { drops: number[]; load: number[] },
): Promise<void> {
  const running = await start(config);
  try {
    for (const w of WORKLOADS) {
      notes.load.push(loadavg()[0]);
      // The agent sees every process of the host: its CPU over an idle second gives the
      // background rate (other jobs' events), taken off what the workload adds.
      const idle0 = running.cpuSeconds();
      if (config !== 'none') await pause(1000);
      const background = running.cpuSeconds() - idle0;
      const a0 = running.cpuSeconds();
      const run = await runWorkload(w.args(scale));
      if (config !== 'none') await pause(1000); // the agent finishes the workload's events
      const agent = Math.max(0, running.cpuSeconds() - a0 - background * (run.seconds + 1));
      const key = `${config} ${w.name}`;
      samples.set(key, [...(samples.get(key) ?? []), { wall: run.seconds, cpu: run.cpuSeconds + agent }]);
      console.log(
        `  ${key}: ${run.seconds.toFixed(3)} s wall, ${run.cpuSeconds.toFixed(3)} s workload CPU, ` +
          `${agent.toFixed(3)} s agent CPU`,
      );
    }
  } finally {
    await running.stop();
  }
  const dropped = running.dropped?.();
  if (dropped !== undefined && dropped !== null) notes.drops.push(dropped);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export interface CompareOptions {
  scale: number;
  rounds: number;
  anchors: Anchor[];
}

export async function compare(opts: CompareOptions): Promise<void> {
  workloadBinary();
  const samples = new Map<string, Sample[]>();
  const notes = { drops: [] as number[], load: [] as number[] };
  const early = opts.anchors.filter((a) => a !== 'auditd');
  for (let round = 1; round <= opts.rounds; round++) {
    for (const anchor of early) {
      console.log(`round ${round}: no agent, then ${anchor}`);
      await measure('none', opts.scale, samples, notes);
      await measure(anchor, opts.scale, samples, notes);
    }
  }
  // auditd last, beside no-agent runs of its own (see the header).
  const auditd = opts.anchors.includes('auditd');
  const auditBase = new Map<string, Sample[]>();
  for (let round = 1; auditd && round <= opts.rounds; round++) {
    console.log(`round ${round}: no agent, then auditd`);
    await measure('none', opts.scale, auditBase, notes);
    await measure('auditd', opts.scale, samples, notes);
  }
  printTable(opts, samples, auditBase, auditd);
  if (notes.drops.length > 0) console.log(`vigil kernel drops per run: ${notes.drops.join(', ')}`);
  console.log(`load average (1 min) during the runs: median ${median(notes.load).toFixed(1)}`);
  if (auditd) {
    console.log(
      'auditd was enabled: until reboot the kernel gives new tasks audit syscall work unless a never,task\n' +
        'rule stops it (restored as found); benchmarks run later in this boot may differ.',
    );
  }
}

function printTable(
  opts: CompareOptions,
  samples: Map<string, Sample[]>,
  auditBase: Map<string, Sample[]>,
  auditd: boolean,
): void {
  const med = (m: Map<string, Sample[]>, key: string, f: keyof Sample) =>
    median(m.get(key)!.map((s) => s[f]));
  const base = WORKLOADS.map((w) => `${w.name} ${med(samples, `none ${w.name}`, 'wall').toFixed(2)} s`);
  console.log(
    `\nmedians of ${opts.rounds} rounds, scale ${opts.scale}; ratios to no agent (baseline ${base.join(' / ')})`,
  );
  console.log(`| agent | ${WORKLOADS.map((w) => `${w.name} wall | CPU`).join(' | ')} |`);
  console.log(`| --- |${' --- | --- |'.repeat(WORKLOADS.length)}`);
  for (const anchor of opts.anchors) {
    const baseOf = anchor === 'auditd' ? auditBase : samples;
    const cells = WORKLOADS.map((w) => {
      const ratio = (f: keyof Sample) =>
        (med(samples, `${anchor} ${w.name}`, f) / med(baseOf, `none ${w.name}`, f)).toFixed(2);
      return `${ratio('wall')} | ${ratio('cpu')}`;
    });
    console.log(`| ${LABEL[anchor]} | ${cells.join(' | ')} |`);
  }
  if (auditd) console.log('(auditd against the no-agent runs measured beside it, after the others)');
}
