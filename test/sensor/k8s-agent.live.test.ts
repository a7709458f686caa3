/**
 * Live, end to end: `vigil run` with the bundled rules on a host laid out as a
 * Kubernetes node. A stand-in container sits in a cgroup named as the
 * kubelet names a pod's, the kubelet's log directories for its pod are under a
 * temp root (the config points there), and the node name comes from the
 * environment as the DaemonSet passes it. A bundled rule fires for the
 * container's unshare; its alert carries the node name and the pod. A rule whose
 * condition and output use k8s.* fields matches the exec that follows and
 * renders them (a separate event: the agent alerts on the first rule matching).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { bundledRulesDir, packageRoot } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';
import { StandInContainer } from '../support/container.js';
import { requireLive } from '../support/live.js';

const BIN = join(packageRoot(), 'bin/vigil.js');
const NODE = 'node-k8s-test-7';
const NS = 'shop';
const POD = 'checkout-6f7d9c5b8-q2w7x';
const CONTAINER = 'api';
const BUNDLED = 'Namespace changed inside a container';
const CUSTOM = 'Test program run in a shop pod';

const RULES = `
- rule: Test program run in a shop pod
  desc: k8s fields in a condition and an output
  condition: >
    evt.type = execve and proc.name = true and k8s.ns.name = ${NS} and container.name = ${CONTAINER}
  output: true run in pod %k8s.ns.name/%k8s.pod.name uid=%k8s.pod.uid container=%container.name
  priority: NOTICE
  tags: [test]
`;

let dir = '';
let agent: ChildProcess | undefined;
let stderr = '';
const alerts: Alert[] = [];
after(() => {
  agent?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(done: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (agent?.exitCode !== null) throw new Error(`the agent exited (${agent?.exitCode}):\n${stderr}`);
    if (Date.now() > deadline) {
      const seen = alerts.map((a) => `${a.rule} [${a.event.proc.container_id}]`).join('\n');
      throw new Error(`timed out waiting for ${what}; alerts:\n${seen}\nagent stderr:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('an alert from a container in a pod names the node, the namespace, the pod and the container', async (t) => {
  if (!requireLive(t)) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-k8s-agent-'));
  const uid = randomUUID();
  const container = StandInContainer.createInPod(uid);
  try {
    // The kubelet's layout: the pod's directory with one per container, and the container's log link.
    const podsDir = join(dir, 'pods');
    const containersDir = join(dir, 'containers');
    const logDir = join(podsDir, `${NS}_${POD}_${uid}`, CONTAINER);
    mkdirSync(logDir, { recursive: true });
    mkdirSync(join(podsDir, `${NS}_${POD}_${uid}`, 'istio-proxy'));
    mkdirSync(containersDir);
    writeFileSync(join(logDir, '0.log'), '');
    symlinkSync(
      join(logDir, '0.log'),
      join(containersDir, `${POD}_${NS}_${CONTAINER}-${container.fullId}.log`),
    );

    writeFileSync(join(dir, 'rules.yaml'), RULES, { mode: 0o644 });
    writeFileSync(
      join(dir, 'vigil.yaml'),
      `metrics:\n  listen: 127.0.0.1:0\nkubernetes:\n  pods_dir: ${podsDir}\n  containers_dir: ${containersDir}\n`,
      { mode: 0o644 },
    );
    const args = ['run', '--json', '--config', join(dir, 'vigil.yaml'), '--db', join(dir, 'a.db')];
    args.push('--rules', bundledRulesDir(), '--rules', join(dir, 'rules.yaml'));
    agent = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VIGIL_NODE_NAME: NODE },
    });
    createInterface({ input: agent.stdout! }).on('line', (l) => alerts.push(JSON.parse(l) as Alert));
    agent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => /"msg":"ready"/.test(stderr), 'ready');

    const mine = (rule: string) =>
      alerts.find((a) => a.rule === rule && a.event.proc.container_id === container.id);
    const both = () => mine(BUNDLED) !== undefined && mine(CUSTOM) !== undefined;
    // On a loaded machine the kernel may drop events (the agent then says so): the action is repeated.
    const argv = container.argv(['/usr/bin/unshare', '--uts', '/usr/bin/true']);
    for (let attempt = 1; !both(); attempt++) {
      execFileSync(argv[0], argv.slice(1), { stdio: 'ignore' });
      await waitFor(both, `alerts from ${BUNDLED} and ${CUSTOM}`, 5000).catch((err: Error) => {
        if (attempt >= 6) throw err;
      });
    }

    const pod = { uid, name: POD, namespace: NS };
    const bundled = mine(BUNDLED)!;
    assert.equal(bundled.hostname, NODE);
    assert.deepEqual(bundled.event.container, { id: container.id, type: 'containerd', name: CONTAINER, pod });

    const custom = mine(CUSTOM)!;
    assert.equal(custom.hostname, NODE);
    assert.equal(custom.output, `true run in pod ${NS}/${POD} uid=${uid} container=${CONTAINER}`);
    assert.deepEqual(custom.output_fields, {
      'k8s.ns.name': NS,
      'k8s.pod.name': POD,
      'k8s.pod.uid': uid,
      'container.name': CONTAINER,
    });

    const exited = new Promise<number | null>((res) => agent!.once('exit', (code) => res(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  } finally {
    container.remove();
  }
});
