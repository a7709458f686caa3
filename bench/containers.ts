/**
 * What container metadata costs the event path: events/s through the agent's per-event steps
 * (container description, the metadata wait, detect with the bundled rules) while 200 real
 * containers start and stop under a containerd started here (test/support/containerd.ts), their
 * metadata looked up over its CRI socket; against the same loop with container ids only. The
 * events are built in memory (each a process of a live container, its real cgroup path), so the
 * figure is the user-space path, not the kernel's. Needs root, containerd, runc, the CNI plugins.
 * Run: node --import tsx bench/containers.ts [containers=200]
 */
import { monitorDetector, detect } from '../src/agent/detect.js';
import { MetadataWait } from '../src/agent/metadata-wait.js';
import type { Alert } from '../src/event/alert.js';
import type { ProcessInfo, VigilEvent } from '../src/event/types.js';
import { loadRuleset } from '../src/engine/load-ruleset.js';
import { sampleEvent } from '../src/engine/rule-tests/sample-event.js';
import { bundledRulesDir } from '../src/config/paths.js';
import { ContainerCatalog } from '../src/sensor/container-catalog.js';
import { CriSource } from '../src/sensor/runtime/cri-source.js';
import { ContainerMetadataCache } from '../src/sensor/runtime/metadata-cache.js';
import { Containerd } from '../test/support/containerd.js';

const TOTAL = Number(process.argv[2] ?? 200);
const BATCH = 2000;

const detector = monitorDetector(loadRuleset([bundledRulesDir()]), 'bench');

/** Starts and stops TOTAL containers, 10 at a time, calling `live` with the running ones' processes. */
async function churn(c: Containerd, live: Map<string, ProcessInfo>): Promise<void> {
  const pod = await c.runPod({ name: 'bench', namespace: 'bench', labels: { app: 'bench' } });
  for (let done = 0; done < TOTAL; done += 10) {
    const ids = await Promise.all(
      Array.from({ length: Math.min(10, TOTAL - done) }, (_, i) =>
        c.runContainer(pod, { name: `c${done + i}` }),
      ),
    );
    for (const id of ids) {
      const pid = await c.pidOf(id);
      const proc = {
        ...sampleEvent({}).proc,
        pid,
        container_id: id.slice(0, 12),
        cgroup: Containerd.cgroupOf(pid),
      };
      live.set(id, proc);
    }
    for (const id of ids) {
      await c.removeContainer(id);
      live.delete(id);
    }
  }
  await c.removePod(pod);
}

/** Events through description, wait and detect until `until` settles; events/s. */
async function measure(
  catalog: ContainerCatalog,
  live: Map<string, ProcessInfo>,
  until: Promise<void>,
  wait: boolean,
): Promise<{ rate: number; events: number }> {
  let finished = false;
  void until.then(() => (finished = true));
  const alerts: Alert[] = [];
  let events = 0;
  const decide = (ev: VigilEvent) => {
    detect(ev, detector, alerts);
    alerts.length = 0;
  };
  const holder = new MetadataWait(() => catalog, wait ? 50 : 0, decide);
  const template = sampleEvent({ type: 'execve' });
  let busyNs = 0n;
  while (!finished) {
    const procs = [...live.values()];
    if (procs.length > 0) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) {
        const proc = procs[i % procs.length];
        const ev: VigilEvent = { ...template, proc, container: catalog.of(proc) };
        if (!holder.hold(ev)) decide(ev);
      }
      busyNs += process.hrtime.bigint() - t0;
      events += BATCH;
    }
    await new Promise((r) => setImmediate(r)); // lookups and CRI calls run between batches
  }
  holder.flush();
  return { rate: events / (Number(busyNs) / 1e9), events };
}

const c = await Containerd.start();
try {
  for (const withRuntime of [false, true]) {
    const live = new Map<string, ProcessInfo>();
    const cache = withRuntime
      ? new ContainerMetadataCache({
          sources: [new CriSource(c.socket, 2000)],
          onChange: (id) => catalog.forget(id),
        })
      : null;
    const catalog: ContainerCatalog = new ContainerCatalog(null, 4096, cache);
    const t0 = Date.now();
    const { rate, events } = await measure(catalog, live, churn(c, live), withRuntime);
    const lookups = cache?.stats().lookups;
    cache?.close();
    console.log(
      `${withRuntime ? 'CRI metadata' : 'ids only    '}: ${Math.round(rate).toLocaleString('en')} events/s ` +
        `(${events.toLocaleString('en')} events, ${TOTAL} containers started and stopped in ` +
        `${((Date.now() - t0) / 1000).toFixed(0)} s${lookups ? `; lookups ${JSON.stringify(lookups)}` : ''})`,
    );
  }
} finally {
  await c.stop();
}
