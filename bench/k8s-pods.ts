/**
 * What pod metadata costs: one listing of the kubelet's pod directory (made on
 * a miss: a pod not seen before), and the per-event lookup of an event's
 * container (a map hit once its container is known), on a node laid out under
 * a temp root with 110 pods (the kubelet's default maximum) and 250.
 * Run: node --import tsx bench/k8s-pods.ts  (or node dist/bench/k8s-pods.js)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerCatalog } from '../src/sensor/container-catalog.js';
import { PodDirectory } from '../src/sensor/k8s-pods.js';
import { unknownProcess } from '../src/event/unknown-process.js';
import type { ProcessInfo } from '../src/event/types.js';

function node(root: string, pods: number): { procs: ProcessInfo[] } {
  const procs: ProcessInfo[] = [];
  mkdirSync(join(root, 'containers'), { recursive: true });
  for (let i = 0; i < pods; i++) {
    const uid = randomUUID();
    const id = randomUUID().replaceAll('-', '').repeat(2);
    const dir = join(root, 'pods', `ns${i % 7}_pod-${i}_${uid}`);
    for (const c of ['app', 'sidecar']) mkdirSync(join(dir, c), { recursive: true });
    symlinkSync(join(dir, 'app'), join(root, 'containers', `pod-${i}_ns${i % 7}_app-${id}.log`));
    const slice = `kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice`;
    procs.push({
      ...unknownProcess(1000 + i),
      container_id: id.slice(0, 12),
      cgroup: `/kubepods.slice/kubepods-burstable.slice/${slice}/cri-containerd-${id}.scope`,
    });
  }
  return { procs };
}

for (const pods of [110, 250]) {
  const root = mkdtempSync(join(tmpdir(), 'vigil-bench-k8s-'));
  try {
    const { procs } = node(root, pods);
    const dirs = { podsDir: join(root, 'pods'), containersDir: join(root, 'containers') };
    const listing = new PodDirectory(dirs);
    const rounds = 200;
    let t = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) listing.rescan();
    const listUs = Number(process.hrtime.bigint() - t) / 1e3 / rounds;

    const catalog = new ContainerCatalog(new PodDirectory(dirs));
    t = process.hrtime.bigint();
    for (const p of procs) catalog.of(p); // first event of each container: described once
    const firstUs = Number(process.hrtime.bigint() - t) / 1e3 / procs.length;
    const events = 2_000_000;
    let named = 0;
    t = process.hrtime.bigint();
    for (let i = 0; i < events; i++) if (catalog.of(procs[i % procs.length])?.name !== undefined) named++;
    const hitNs = Number(process.hrtime.bigint() - t) / events;
    if (named !== events) throw new Error(`only ${named} of ${events} events named their container`);
    // The same lookups with no pod source (container ids only, as before pod metadata).
    const idsOnly = new ContainerCatalog(null);
    let found = 0;
    t = process.hrtime.bigint();
    for (let i = 0; i < events; i++) if (idsOnly.of(procs[i % procs.length]) !== undefined) found++;
    const idsNs = Number(process.hrtime.bigint() - t) / events;
    if (found !== events) throw new Error('lost a container');
    console.log(
      `${pods} pods: directory listing ${listUs.toFixed(0)} µs; first event of a container ` +
        `${firstUs.toFixed(0)} µs; later events ${hitNs.toFixed(0)} ns each (ids only: ${idsNs.toFixed(0)} ns)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
