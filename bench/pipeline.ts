/**
 * Benchmark 2, events/s through the whole pipeline (kernel -> ring buffer ->
 * decode -> process table -> rules -> outputs) of `vigil run` with the bundled
 * rules, and drops, at increasing open/close rates until drops appear. Drops are
 * read from the agent's own "Events dropped" alerts (the kernel's count).
 *   node dist/bench/run.js pipeline [--seconds 5] [--rates 50000,100000,...]
 */
import { loadavg } from 'node:os';
import { startAgent } from './agent.js';
import { runWorkload, workloadBinary } from './workload.js';

export interface PipelineOptions {
  seconds: number;
  rates: number[];
}

export const DEFAULT_RATES = [50_000, 100_000, 200_000, 300_000, 400_000, 600_000, 1_000_000];

export async function pipeline(opts: PipelineOptions): Promise<void> {
  workloadBinary();
  const agent = await startAgent();
  let dropped = 0;
  agent.onAlert = (a) => {
    const n = (a as unknown as { output_fields: Record<string, number> }).output_fields['vigil.dropped'];
    if (a.rule === 'Events dropped') dropped += n;
  };
  const rows: string[] = [];
  try {
    for (const rate of opts.rates) {
      const before = dropped;
      const cpu0 = agent.cpuSeconds();
      const load = loadavg()[0];
      const { seconds, firstLine } = await runWorkload(['rate', String(rate), String(opts.seconds)]);
      // The agent polls the drop counter every second: wait for its last poll, and the queue to drain.
      await new Promise((r) => setTimeout(r, 2500));
      const done = Number(firstLine);
      const achieved = done / seconds;
      const cpu = ((agent.cpuSeconds() - cpu0) / (seconds + 2.5)) * 100;
      const lost = dropped - before;
      const row =
        `${String(rate).padStart(9)} ${Math.round(achieved).toString().padStart(9)} ` +
        `${lost.toString().padStart(9)} ${((lost / done) * 100).toFixed(2).padStart(7)}% ` +
        `${cpu.toFixed(0).padStart(6)}% ${(agent.rssBytes() / 2 ** 20).toFixed(0).padStart(6)} ${load.toFixed(1).padStart(5)}`;
      rows.push(row);
      console.log(row);
      if (lost > 0 && achieved < rate * 0.9) break; // past the machine's own limit
    }
  } finally {
    await agent.stop();
  }
  console.log('\nwhole pipeline (vigil run, bundled rules), open/close at paced rates');
  console.log('   target  events/s   dropped   lost   agentCPU  RSS MiB  load');
  for (const r of rows) console.log(r);
}
