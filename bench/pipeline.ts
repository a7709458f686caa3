/**
 * Benchmark 2, events/s through the whole pipeline (kernel -> ring buffer ->
 * decode -> process table -> rules -> outputs) of `vigil run` with the bundled
 * rules, and drops, at increasing open/close rates until drops appear. Drops are
 * read from the agent's own "Events dropped" alerts (the kernel's count); the
 * events that reached the rules, from its vigil_events_received_total metric.
 *
 * The opens are of `--path` (default /proc/loadavg): a path some rule watches
 * (/proc/), so that the kernel's open prefilter passes it to the agent, and that
 * no rule alerts on. A path no rule can match (/etc/hostname) measures the
 * prefilter instead: those opens never leave the kernel.
 * `--syscall dup2` paces dup2(1, 99) calls instead: every reverse-shell rule asks for dup2, no
 * kernel prefilter stands in the way and no rule alerts on it, so it drives the pipeline past what
 * open/close of a watched path reaches on this 2-core machine.
 *   node dist/bench/run.js pipeline [--seconds 5] [--rates 50000,100000,...] [--path P] [--syscall open|dup2]
 */
import { loadavg } from 'node:os';
import { metric, scrapeMetrics, startAgent } from './agent.js';
import { runWorkload, workloadBinary } from './workload.js';

export interface PipelineOptions {
  seconds: number;
  rates: number[];
  path: string;
  /** open (of `path`, default) or dup2 (cheaper: drives the pipeline past what opens reach here). */
  syscall: 'open' | 'dup2';
}

export const DEFAULT_RATES = [50_000, 100_000, 200_000, 300_000, 400_000, 600_000, 1_000_000];
export const DEFAULT_PATH = '/proc/loadavg';

const PORT = 19_465;

export async function pipeline(opts: PipelineOptions): Promise<void> {
  workloadBinary();
  const agent = await startAgent({ configYaml: `metrics:\n  enabled: true\n  listen: 127.0.0.1:${PORT}\n` });
  let dropped = 0;
  agent.onAlert = (a) => {
    const n = (a as unknown as { output_fields: Record<string, number> }).output_fields['vigil.dropped'];
    if (a.rule === 'Events dropped') dropped += n;
  };
  const received = async (): Promise<number> =>
    metric(await scrapeMetrics(PORT), 'vigil_events_received_total');
  const rows: string[] = [];
  try {
    for (const rate of opts.rates) {
      const before = dropped;
      const events0 = await received();
      const cpu0 = agent.cpuSeconds();
      const load = loadavg()[0];
      const { seconds, firstLine } = await runWorkload(
        opts.syscall === 'dup2'
          ? ['rate-dup2', String(rate), String(opts.seconds)]
          : ['rate', String(rate), String(opts.seconds), opts.path],
      );
      // The agent polls the drop counter every second: wait for its last poll, and the queue to drain.
      await new Promise((r) => setTimeout(r, 2500));
      const done = Number(firstLine);
      const achieved = done / seconds;
      const agentCpu = agent.cpuSeconds() - cpu0;
      const events = (await received()) - events0;
      const lost = dropped - before;
      const row =
        `${String(rate).padStart(9)} ${Math.round(achieved).toString().padStart(9)} ` +
        `${events.toString().padStart(9)} ${lost.toString().padStart(9)} ${((lost / done) * 100).toFixed(2).padStart(7)}% ` +
        `${((agentCpu / (seconds + 2.5)) * 100).toFixed(0).padStart(6)}% ` +
        `${
          agentCpu > 0
            ? Math.round(events / agentCpu)
                .toString()
                .padStart(10)
            : '         -'
        } ` +
        `${(agent.rssBytes() / 2 ** 20).toFixed(0).padStart(6)} ${load.toFixed(1).padStart(5)}`;
      rows.push(row);
      console.log(row);
      if (lost > 0 && achieved < rate * 0.9) break; // past the machine's own limit
    }
  } finally {
    await agent.stop();
  }
  const what = opts.syscall === 'dup2' ? 'dup2 calls' : `open/close of ${opts.path}`;
  console.log(`\nwhole pipeline (vigil run, bundled rules), ${what} at paced rates`);
  console.log(
    `   target  ${opts.syscall === 'dup2' ? ' dup2/s' : 'opens/s'}  to rules   dropped    lost  agentCPU  events/CPU-s  RSS MiB  load\n` +
      "  (to rules: events that reached the rules in the step, the workload's and every other process's)",
  );
  for (const r of rows) console.log(r);
}
