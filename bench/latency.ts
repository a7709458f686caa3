/**
 * Benchmark 5, alert latency: from the syscall's kernel timestamp (alert.event.ts)
 * to the moment the alert line is read from the agent's stdout, while a
 * background load of `--rate` open/close events/s (default 50,000) runs. The
 * alerts come from opens of /etc/shadow by the workload ("Read shadow file"),
 * `--alerts` per second. The background load starts `--warmup` seconds (default 2) before the
 * alerts: the figure is the agent's steady state, not its first second (JIT compilation of the rules
 * and the decoder, first SQLite transaction), which is reported apart.
 *   node dist/bench/run.js latency [--rate 50000] [--alerts 200] [--seconds 10] [--warmup 2]
 */
import { bootToEpochNs } from '../src/kernel/clock.js';
import { startAgent } from './agent.js';
import { runWorkload, workloadBinary } from './workload.js';

export interface LatencyOptions {
  rate: number;
  alerts: number;
  seconds: number;
  warmup: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function latency(opts: LatencyOptions): Promise<void> {
  const bin = workloadBinary();
  const agent = await startAgent();
  const offset = bootToEpochNs();
  const ms: number[] = [];
  let dropAlerts = 0;
  agent.onAlert = (a, receivedNs) => {
    if (a.rule === 'Events dropped') dropAlerts++;
    // Only the workload's own alerts: on a shared host other processes raise alerts too.
    else if (a.event.proc.exe === bin) ms.push((Number(receivedNs) + offset - a.event.ts) / 1e6);
  };
  try {
    const background = runWorkload(['rate', String(opts.rate), String(opts.seconds + opts.warmup)]);
    await new Promise((r) => setTimeout(r, opts.warmup * 1000));
    await Promise.all([
      background,
      runWorkload(['rate', String(opts.alerts), String(opts.seconds), '/etc/shadow']),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await agent.stop();
  }
  ms.sort((a, b) => a - b);
  console.log(
    `\nalert latency at ${opts.rate} events/s background (from ${opts.warmup} s before), ` +
      `${opts.alerts} alerts/s, ${opts.seconds} s: ` +
      `${ms.length} alerts, p50 ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms, ` +
      `max ${ms[ms.length - 1].toFixed(2)} ms; drop alerts: ${dropAlerts}`,
  );
}
