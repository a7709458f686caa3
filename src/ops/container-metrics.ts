/** The container metadata metrics: runtime lookups, each runtime's state, events held. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricSources } from './metrics.js';

type Read = () => ReturnType<NonNullable<MetricSources['containers']>> | undefined;

export function containerMetrics(r: Registry, read: Read): void {
  new Counter({
    name: 'vigil_container_lookups_total',
    help: 'Container metadata lookups, by result (found, not_found, error, skipped: every runtime down)',
    labelNames: ['result'],
    registers: [r],
    collect() {
      this.reset();
      for (const [result, n] of Object.entries(read()?.cache?.lookups ?? {})) this.inc({ result }, n);
    },
  });
  new Gauge({
    name: 'vigil_container_runtime_up',
    help: 'Whether a container runtime socket answers (1) or is in backoff or absent (0), by socket and API',
    labelNames: ['socket', 'type'],
    registers: [r],
    collect() {
      this.reset();
      for (const rt of read()?.cache?.runtimes ?? [])
        this.set({ socket: rt.socket, type: rt.type }, rt.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_container_metadata_cached',
    help: 'Containers whose runtime metadata is kept',
    registers: [r],
    collect() {
      const size = read()?.cache?.size;
      if (size !== undefined) this.set(size);
    },
  });
  new Counter({
    name: 'vigil_container_metadata_waits_total',
    help: "Holds of a new container's events for its metadata, by outcome (in_time, timed_out, overflow)",
    labelNames: ['outcome'],
    registers: [r],
    collect() {
      this.reset();
      const w = read()?.waits;
      if (w === undefined) return;
      for (const outcome of ['in_time', 'timed_out', 'overflow'] as const) this.inc({ outcome }, w[outcome]);
    },
  });
}
