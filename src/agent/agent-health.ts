/**
 * The agent's checks for the ops endpoint (src/ops/health.ts). Liveness: the probes are attached,
 * the ring reader runs, and records the kernel wrote are being read (the endpoint answering shows
 * the event loop responds). Readiness: the store and each sink deliver. /status: the detail.
 */
import type { HealthCheck, HealthSource } from '../ops/index.js';
import type { Outputs } from '../outputs/index.js';
import type { SensorStats } from '../sensor/sensor.js';

/** Kernel records written but none read for this long: the reader is stuck. */
export const RING_STALL_MS = 30_000;

/**
 * Whether the ring is read: progress is a change in the records decoded. The kernel having written
 * records since the last progress, with none read for RING_STALL_MS, is a stall; an idle host
 * (no new records either side) is not.
 */
export class RingWatch {
  private records = -1;
  private kernelAtProgress = 0;
  private progressAt = 0;

  constructor(private readonly stallMs = RING_STALL_MS) {}

  /** Returns the stall in ms, or 0 when the ring is read (or idle). */
  observe(s: Pick<SensorStats, 'records' | 'kernelEvents'>, now = Date.now()): number {
    if (s.records !== this.records) {
      this.records = s.records;
      this.kernelAtProgress = s.kernelEvents;
      this.progressAt = now;
      return 0;
    }
    const idle = now - this.progressAt;
    return s.kernelEvents > this.kernelAtProgress && idle >= this.stallMs ? idle : 0;
  }
}

export interface AgentHealthInputs {
  /** The sensor's stats; undefined while the probes are not (yet) attached. */
  sensor(): SensorStats | undefined;
  outputs: Outputs;
  startedAt: number;
  ringWatch?: RingWatch;
}

export function agentHealth(inp: AgentHealthInputs): HealthSource {
  const ring = inp.ringWatch ?? new RingWatch();
  const liveness = (): HealthCheck[] => {
    const s = inp.sensor();
    if (!s?.ring) return [{ name: 'probes', ok: false, reason: 'probes not attached' }];
    const probes: HealthCheck = { name: 'probes', ok: true };
    if (!s.ring.running) {
      return [
        probes,
        { name: 'ring', ok: false, reason: `ring reader stopped: ${s.ring.error ?? 'unknown'}` },
      ];
    }
    const stall = ring.observe(s);
    const reason = `${s.kernelEvents - s.records} records written by the kernel, none read for ${Math.round(stall / 1000)} s`;
    return [probes, stall > 0 ? { name: 'ring', ok: false, reason } : { name: 'ring', ok: true }];
  };
  const readiness = (): HealthCheck[] => {
    const h = inp.outputs.health();
    const checks: HealthCheck[] = [];
    if (h.store.enabled) {
      // A store file tampered with stays reported until the agent restarts (its alert was raised).
      const tampered = h.store.tampered !== undefined ? `store tampered: ${h.store.tampered}` : undefined;
      const ok = h.store.state !== 'failing' && tampered === undefined;
      checks.push({ name: 'store', ok, reason: ok ? undefined : (tampered ?? h.store.lastError) });
    }
    for (const s of h.sinks) {
      const ok = s.state === 'ok' || s.state === 'retrying';
      checks.push({ name: `sink:${s.name}`, ok, reason: ok ? undefined : (s.lastError ?? s.state) });
    }
    return checks;
  };
  return {
    liveness,
    readiness,
    status: () => {
      const live = liveness();
      const ready = readiness();
      const s = inp.sensor();
      const h = inp.outputs.health();
      return {
        live: live.every((c) => c.ok),
        ready: live.every((c) => c.ok) && ready.every((c) => c.ok),
        uptime_seconds: Math.round((Date.now() - inp.startedAt) / 1000),
        checks: [...live, ...ready],
        sensor: s && {
          kernel_events: s.kernelEvents,
          records: s.records,
          dropped: s.dropped,
          ring: s.ring,
        },
        store: h.store,
        sinks: h.sinks,
      };
    },
  };
}
