/**
 * Live: the real-runtime harness itself (test/support/containerd.ts). A pod
 * and a container made through the CRI calls the kubelet makes run under
 * containerd and runc, in a cgroup whose path vigil's parser reads as a
 * containerd container in that pod; ExecSync runs a command in it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { containerFromCgroup } from '../../src/sensor/cgroup-container.js';
import { Containerd, containerdMissing, requireContainerd } from '../support/containerd.js';

let ctrd: Containerd | undefined;
before(async () => {
  if (containerdMissing() === '' && process.getuid?.() === 0) ctrd = await Containerd.start();
});
after(async () => {
  await ctrd?.stop();
});

test('a pod and a container run under a containerd started by the test', async (t) => {
  if (!requireContainerd(t)) return;
  const c = ctrd!;
  const pod = await c.runPod({ name: 'harness-1', namespace: 'vigil-test', labels: { app: 'harness' } });
  const id = await c.runContainer(pod, { name: 'main' });
  const pid = await c.pidOf(id);
  assert.ok(pid > 0);
  const cg = containerFromCgroup(Containerd.cgroupOf(pid));
  assert.deepEqual(cg, { id: id.slice(0, 12), fullId: id, runtime: 'containerd', podUid: pod.uid });
  const out = await c.cri.execSync(id, ['/bin/sh', '-c', 'echo hello from $(hostname)']);
  assert.equal(out.exit_code, 0);
  assert.equal(out.stdout.toString(), 'hello from harness-1\n');
  const status = await c.cri.podSandboxStatus(pod.id);
  assert.equal(status.status?.state, 'SANDBOX_READY');
  assert.deepEqual(status.status?.labels, { app: 'harness' });
  await c.removePod(pod);
});
