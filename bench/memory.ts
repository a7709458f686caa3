/**
 * Benchmark 4, memory: `vigil run` (bundled rules) under the workload loop (open/close,
 * fork+exec, connects, over and over) for `--minutes`; the agent's RSS and the
 * process table size (from its metrics endpoint) after each loop, and the growth
 * between the first and the last minute.
 *   node dist/bench/run.js memory [--minutes 10]
 */
import { metric, scrapeMetrics, startAgent } from './agent.js';
import { runWorkload, workloadBinary } from './workload.js';

const PORT = 19_464;

export async function memory(opts: { minutes: number }): Promise<void> {
  workloadBinary();
  const agent = await startAgent({
    configYaml: `metrics:\n  enabled: true\n  listen: 127.0.0.1:${PORT}\n`,
  });
  const samples: { t: number; rss: number; procs: number }[] = [];
  const t0 = Date.now();
  const end = t0 + opts.minutes * 60_000;
  try {
    for (let loop = 1; Date.now() < end; loop++) {
      await runWorkload(['open', '200000']);
      await runWorkload(['exec', '500']);
      await runWorkload(['connect', '2000']);
      const text = await scrapeMetrics(PORT);
      const procs = metric(text, 'vigil_process_table_size');
      const s = { t: (Date.now() - t0) / 60_000, rss: agent.rssBytes() / 2 ** 20, procs };
      samples.push(s);
      // Where the RSS is: the V8 heap (used of total), memory outside it (Buffers, SQLite, addon).
      const mib = (name: string): string => (metric(text, name) / 2 ** 20).toFixed(0);
      console.log(
        `  loop ${loop} at ${s.t.toFixed(1)} min: RSS ${s.rss.toFixed(1)} MiB, process table ${procs}; ` +
          `heap ${mib('nodejs_heap_size_used_bytes')}/${mib('nodejs_heap_size_total_bytes')} MiB, ` +
          `external ${mib('nodejs_external_memory_bytes')} MiB`,
      );
    }
  } finally {
    await agent.stop();
  }
  const last = samples[samples.length - 1];
  const firstMinute = samples.filter((s) => s.t <= Math.min(1, last.t / 2));
  const lastMinute = samples.filter((s) => s.t >= last.t - Math.min(1, last.t / 2));
  const avg = (xs: typeof samples): number => xs.reduce((a, s) => a + s.rss, 0) / xs.length;
  console.log(
    `\nmemory after ${last.t.toFixed(1)} min (${samples.length} loops): RSS ${last.rss.toFixed(1)} MiB ` +
      `(max ${Math.max(...samples.map((s) => s.rss)).toFixed(1)}), process table ${last.procs}; ` +
      `mean RSS first part ${avg(firstMinute).toFixed(1)} MiB -> last part ${avg(lastMinute).toFixed(1)} MiB`,
  );
}
