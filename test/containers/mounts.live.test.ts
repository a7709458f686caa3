/**
 * Live: a container with a sensitive host mount (the host's `/`, `/proc`) is detected, on real
 * pods under a containerd started by the test, with Falco's mount fields
 * (container.mount.dest[<source>], container.mount.source[<dest>], defined once for every runtime
 * in src/engine/fields/container-mount.ts from the container's mount namespace); a container
 * without one is not. Falco's sensitive_mount macro, as its rule "Launch Sensitive Mount Container"
 * uses it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { Containerd, containerdMissing, requireContainerd } from '../support/containerd.js';
import { AgentProcess } from './agent.js';

const NS = 'vigil-mounts';
const RULE = 'Test sensitive mount container started';
const MARKER = 'Test mounts marker';
const RULES = `
- rule: ${RULE}
  desc: the first process of a container with the host's / or /proc mounted in it
  condition: >
    spawned_process and container and proc.vpid = 1 and k8s.ns.name = ${NS}
    and (not container.mount.dest[/] in ("<NA>", "N/A") or not container.mount.dest[/proc*] in ("<NA>", "N/A"))
  output: sensitive mount in %container.name (/ at %container.mount.dest[/], /proc at %container.mount.dest[/proc*])
  priority: WARNING

- rule: ${MARKER}
  desc: true run in a pod of the test namespace (the events before it are in)
  condition: spawned_process and container and proc.name = true and k8s.ns.name = ${NS}
  output: marker in %container.name
  priority: DEBUG
`;

let dir = '';
let ctrd: Containerd | undefined;
let agent: AgentProcess | undefined;

const ready = (t: TestContext): boolean => requireContainerd(t);

before(async () => {
  if (process.getuid?.() !== 0 || containerdMissing() !== '') return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-mounts-'));
  ctrd = await Containerd.start();
  agent = await AgentProcess.start(dir, ctrd.socket, RULES, '  metadata_wait_ms: 3000\n');
});
after(async () => {
  const code = await agent?.stop();
  await ctrd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (code !== undefined && code !== 0) throw new Error(`the agent exited ${code}:\n${agent?.stderr}`);
});

test('a container with the host / or /proc mounted is detected; one without is not', async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'mounts-1', namespace: NS });
  const root = await ctrd!.runContainer(pod, {
    name: 'hostroot',
    mounts: [{ host_path: '/', container_path: '/host', readonly: true }],
  });
  const proc = await ctrd!.runContainer(pod, {
    name: 'hostproc',
    mounts: [{ host_path: '/proc', container_path: '/host/proc', readonly: true }],
  });
  const plain = await ctrd!.runContainer(pod, {
    name: 'plain',
    mounts: [{ host_path: dir, container_path: '/data', readonly: true }],
  });
  const a = await agent!.alertFor(RULE, root.slice(0, 12));
  assert.equal(a.output_fields['container.mount.dest[/]'], '/host');
  const b = await agent!.alertFor(RULE, proc.slice(0, 12));
  assert.equal(b.output_fields['container.mount.dest[/proc*]'], '/host/proc');
  await ctrd!.cri.execSync(plain, ['/bin/true']);
  await agent!.alertFor(MARKER, plain.slice(0, 12));
  assert.equal(agent!.has(RULE, plain.slice(0, 12)), false);
  await ctrd!.removePod(pod);
});
