/**
 * Benchmark 1, host overhead: the same syscall-heavy workload (bench/workload.c)
 * timed with no agent, with vigil (`vigil run`, bundled rules) and with auditd
 * (rules on the same syscalls), in one run; each reported as a ratio to the
 * no-agent time. Each configuration runs `--rounds` times (interleaved, so a
 * change in the machine's load hits all of them alike) and the best time counts.
 *   node dist/bench/run.js overhead [--scale 1] [--rounds 3] [--skip-auditd]
 * Full scale: 1,000,000 open/close pairs, 5,000 fork+exec of /bin/true, 20,000 loopback connects.
 * An agent's CPU is net of its background rate (measured over an idle second before each workload),
 * since vigil and auditd see the events of every process on the host, not only the workload's.
 */
import { loadavg } from 'node:os';
import { droppedAtStop, startAgent, type Agent } from './agent.js';
import { startAuditd, type Auditd } from './auditd.js';
import { runWorkload, workloadBinary } from './workload.js';

export interface OverheadOptions {
  scale: number;
  rounds: number;
  auditd: boolean;
}

const WORKLOADS = [
  { name: 'open/close', args: (s: number) => ['open', String(Math.round(1_000_000 * s))] },
  { name: 'fork+exec', args: (s: number) => ['exec', String(Math.round(5_000 * s))] },
  { name: 'tcp connect', args: (s: number) => ['connect', String(Math.round(20_000 * s))] },
];

type Config = 'none' | 'vigil' | 'auditd';

async function withConfig(
  config: Config,
  body: (agentCpu: () => number) => Promise<void>,
): Promise<number | null> {
  let agent: Agent | undefined;
  let audit: Auditd | undefined;
  if (config === 'vigil') agent = await startAgent();
  if (config === 'auditd') audit = startAuditd();
  try {
    await body(() => agent?.cpuSeconds() ?? audit?.cpuSeconds() ?? 0);
  } finally {
    audit?.stop();
    await agent?.stop();
  }
  return agent ? droppedAtStop(agent.log()) : null;
}

export async function overhead(opts: OverheadOptions): Promise<void> {
  workloadBinary();
  const configs: Config[] = ['none', 'vigil', ...(opts.auditd ? (['auditd'] as const) : [])];
  const best = new Map<string, number>();
  /** CPU seconds: the workload's own (probes run in its context) plus the agent's, per workload. */
  const bestCpu = new Map<string, { workload: number; agent: number }>();
  const drops: number[] = [];
  const load: number[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const config of configs) {
      const dropped = await withConfig(config, async (agentCpu) => {
        for (const w of WORKLOADS) {
          load.push(loadavg()[0]);
          // The agent sees every process of the host: its CPU over one idle second first gives the
          // background rate (other jobs' events), subtracted below from what the workload adds.
          const idle0 = agentCpu();
          if (config !== 'none') await new Promise((r) => setTimeout(r, 1000));
          const background = agentCpu() - idle0;
          const a0 = agentCpu();
          const { seconds, cpuSeconds } = await runWorkload(w.args(opts.scale));
          // Let the agent finish the workload's events before its CPU is read.
          if (config !== 'none') await new Promise((r) => setTimeout(r, 1000));
          const raw = agentCpu() - a0;
          const agent = Math.max(0, raw - background * (seconds + 1));
          const key = `${config} ${w.name}`;
          best.set(key, Math.min(best.get(key) ?? Infinity, seconds));
          const prev = bestCpu.get(key);
          if (!prev || cpuSeconds + agent < prev.workload + prev.agent) {
            bestCpu.set(key, { workload: cpuSeconds, agent });
          }
          console.log(
            `  round ${round} ${key}: ${seconds.toFixed(3)} s wall, ${cpuSeconds.toFixed(3)} s workload CPU, ` +
              `${agent.toFixed(2)} s agent CPU (${raw.toFixed(2)} s less ${background.toFixed(2)} s/s background)`,
          );
        }
      });
      if (dropped !== null) drops.push(dropped);
    }
  }
  console.log(`\nhost overhead (scale ${opts.scale}, best of ${opts.rounds}; ratio to no agent)`);
  console.log(`${'workload'.padEnd(12)} ${configs.map((c) => c.padStart(16)).join('')}`);
  for (const w of WORKLOADS) {
    const base = best.get(`none ${w.name}`)!;
    const cells = configs.map((c) => {
      const s = best.get(`${c} ${w.name}`)!;
      return `${s.toFixed(2)}s x${(s / base).toFixed(3)}`.padStart(16);
    });
    console.log(`${w.name.padEnd(12)} ${cells.join('')}`);
  }
  console.log(
    `\nCPU cost (workload CPU incl. probes + agent CPU; ratio to the workload's CPU with no agent)`,
  );
  console.log(`${'workload'.padEnd(12)} ${configs.map((c) => c.padStart(24)).join('')}`);
  for (const w of WORKLOADS) {
    const base = bestCpu.get(`none ${w.name}`)!.workload;
    const cells = configs.map((c) => {
      const v = bestCpu.get(`${c} ${w.name}`)!;
      const total = v.workload + v.agent;
      return `${v.workload.toFixed(2)}+${v.agent.toFixed(2)}s x${(total / base).toFixed(2)}`.padStart(24);
    });
    console.log(`${w.name.padEnd(12)} ${cells.join('')}`);
  }
  console.log(`vigil kernel drops per run: ${drops.join(', ')}`);
  const avg = load.reduce((a, b) => a + b, 0) / load.length;
  console.log(
    `load average (1 min) during the runs: ${avg.toFixed(1)} (min ${Math.min(...load).toFixed(1)})`,
  );
}
