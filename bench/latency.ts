/**
 * Benchmark 5, alert latency: from the syscall's kernel timestamp (alert.event.ts)
 * to the moment the alert line is read from the agent's stdout, while a
 * background load of `--rate` open/close events/s (default 50,000) runs. The
 * alerts come from opens of /etc/shadow by the workload ("Read shadow file"),
 * `--alerts` per second.
 *   node dist/bench/run.js latency [--rate 50000] [--alerts 200] [--seconds 10]
 */
import { bootToEpochNs } from '../src/sensor/clock.js';
import { startAgent } from './agent.js';
import { runWorkload, workloadBinary } from './workload.js';

export interface LatencyOptions {
  rate: number;
  alerts: number;
  seconds: number;
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
    const s = String(opts.seconds);
    await Promise.all([
      runWorkload(['rate', String(opts.rate), s]),
      runWorkload(['rate', String(opts.alerts), s, '/etc/shadow']),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await agent.stop();
  }
  ms.sort((a, b) => a - b);
  console.log(
    `\nalert latency at ${opts.rate} events/s background, ${opts.alerts} alerts/s, ${opts.seconds} s: ` +
      `${ms.length} alerts, p50 ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms, ` +
      `max ${ms[ms.length - 1].toFixed(2)} ms; drop alerts: ${dropAlerts}`,
  );
}
