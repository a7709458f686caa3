/**
 * Live, end to end, with real pods: containerd (Debian's) started by the
 * test, pods and containers made through the CRI as the kubelet makes them,
 * `vigil run` asking that containerd's CRI socket for container metadata.
 * Each detection has its benign twin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { bundledRulesDir } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';
import { Containerd, containerdMissing, requireContainerd } from '../support/containerd.js';
import { vigilArgv } from '../support/replay.js';
import { AgentProcess } from './agent.js';

const NS = 'vigil-test';
/** The bundled macros alone (spawned_process, container) for replay: the test rules match first. */
const MACROS = join(bundledRulesDir(), '00-macros.yaml');
const OTHER_REPOSITORY = 'docker.io/vigil-test/other';
const OTHER_IMAGE = `${OTHER_REPOSITORY}:2.0`;
const SHELL = 'Terminal shell in a container';
const EXCEPT = 'Test shell outside known images';
const PRIV = 'Test privileged container started';
const EXEC = 'Test exec into a container';

const RULES = `
- rule: ${EXCEPT}
  desc: a shell in a pod of the test namespace, except in the busybox image
  condition: spawned_process and container and proc.name = sh and k8s.ns.name = ${NS}
  output: shell in %container.image.repository:%container.image.tag (pod %k8s.ns.name/%k8s.pod.name)
  priority: NOTICE
  exceptions:
    - name: known_images
      fields: [container.image.repository]
      values: [[docker.io/vigil-test/busybox]]

- rule: ${PRIV}
  desc: the first process of a privileged container (Falco's Launch Privileged Container)
  condition: spawned_process and container and container.privileged = true and proc.vpid = 1
  output: privileged container %container.name image=%container.image pod=%k8s.pod.name
  priority: WARNING

- rule: ${EXEC}
  desc: a process started in a running container by the runtime (kubectl exec), not its entrypoint
  condition: >
    spawned_process and container and proc.vpid != 1 and not proc.name startswith runc
    and proc.pname in (runc, "runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]", containerd-shim)
    and k8s.ns.name = ${NS}
  output: exec into %container.name in %k8s.ns.name/%k8s.pod.name (%proc.cmdline parent=%proc.pname)
  priority: NOTICE
`;

let dir = '';
let ctrd: Containerd | undefined;
let agent: AgentProcess | undefined;

const ready = (t: TestContext): boolean => requireContainerd(t);

before(async () => {
  if (process.getuid?.() !== 0 || containerdMissing() !== '') return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-pods-'));
  ctrd = await Containerd.start();
  ctrd.importImage(OTHER_REPOSITORY, '2.0');
  // Generous: a loaded CI machine answers CRI calls slowly; the bound itself is tested elsewhere.
  agent = await AgentProcess.start(dir, ctrd.socket, RULES, '  metadata_wait_ms: 3000\n');
});
after(async () => {
  const code = await agent?.stop();
  await ctrd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (code !== undefined && code !== 0) throw new Error(`the agent exited ${code}:\n${agent?.stderr}`);
});

const LABELS = { app: 'shop', tier: 'front' };

test('a shell in a container raises the container-shell rule with its container and pod', async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'shell-1', namespace: NS, labels: LABELS });
  const id = await ctrd!.runContainer(pod, {
    name: 'web',
    tty: true,
    command: ['/bin/sh', '-c', 'sleep 1000000'],
    labels: { role: 'web' },
  });
  const short = id.slice(0, 12);
  const alert = await agent!.alertFor(SHELL, short);
  const img = ctrd!.image;
  assert.equal(alert.output_fields['container.id'], short);
  assert.equal(alert.output_fields['container.image.repository'], img.repository);
  const c = alert.event.container!;
  assert.equal(c.id, short);
  assert.equal(c.name, 'web');
  assert.equal(c.type, 'containerd');
  assert.equal(c.image, img.name);
  assert.equal(c.image_repository, img.repository);
  assert.equal(c.image_tag, img.tag);
  assert.equal(c.image_digest, img.manifestDigest);
  assert.equal(c.privileged, false);
  assert.deepEqual(c.labels, { role: 'web' });
  assert.deepEqual(c.pod, { uid: pod.uid, name: 'shell-1', namespace: NS, labels: LABELS });
  assert.equal(c.unknown, undefined);
  // The exception names the busybox repository: silenced there...
  assert.equal(agent!.has(EXCEPT, short), false);
  await ctrd!.removePod(pod);
});

test('an exception on container.image.repository silences exactly its image', async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'other-1', namespace: NS, labels: LABELS });
  const id = await ctrd!.runContainer(pod, {
    name: 'other',
    image: OTHER_IMAGE,
    command: ['/bin/sh', '-c', 'sleep 1000000'],
  });
  // ...and not for another image.
  const alert = await agent!.alertFor(EXCEPT, id.slice(0, 12)).catch((err: Error) => {
    const mine = agent!.alerts.filter((a) => a.event.proc.container_id === id.slice(0, 12));
    throw new Error(
      `${err.message.split('\n')[0]}\n${JSON.stringify(mine.map((a) => [a.rule, a.event.proc, a.event.container]))}`,
    );
  });
  assert.equal(alert.output, `shell in docker.io/vigil-test/other:2.0 (pod ${NS}/other-1)`);
  await ctrd!.removePod(pod);
});

test('a privileged container is detected; an unprivileged one is not', async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'priv-1', namespace: NS });
  const plain = await ctrd!.runContainer(pod, { name: 'plain' });
  const priv = await ctrd!.runContainer(pod, { name: 'priv', privileged: true });
  const alert = await agent!.alertFor(PRIV, priv.slice(0, 12));
  assert.equal(alert.output, `privileged container priv image=${ctrd!.image.name} pod=priv-1`);
  assert.equal(alert.event.container?.privileged, true);
  // Both containers' first processes were seen once the privileged one alerted? Wait for the plain
  // one's exec through another rule-free path: its container is described too.
  assert.equal(agent!.has(PRIV, plain.slice(0, 12)), false);
  await ctrd!.removePod(pod);
});

test('an exec into a running container (ExecSync) is recognised as one', async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'exec-1', namespace: NS, labels: LABELS });
  const id = await ctrd!.runContainer(pod, { name: 'app', command: ['/bin/sleep', '1000000'] });
  const out = await ctrd!.cri.execSync(id, ['/bin/cat', '/etc/hostname']);
  assert.equal(out.exit_code, 0);
  const alert = await agent!.alertFor(EXEC, id.slice(0, 12));
  // Its parent is runc's exec, or the shim once runc has gone: the runtime either way.
  assert.match(
    alert.output,
    new RegExp(`^exec into app in ${NS}/exec-1 \\(cat /etc/hostname parent=(runc|containerd-shim)`),
  );
  // The entrypoint (vpid 1, started by the runtime too) is not taken for an exec.
  assert.equal(
    agent!.alerts.filter((a) => a.rule === EXEC && a.event.proc.container_id === id.slice(0, 12)).length,
    1,
  );
  await ctrd!.removePod(pod);
});

test('replay keeps the metadata: it is part of the recorded event', async (t) => {
  if (!ready(t)) return;
  const recorded = agent!.alerts.find((a) => a.rule === SHELL && a.event.container?.image !== undefined);
  assert.ok(recorded, 'a container-shell alert from the first test');
  const events = join(dir, 'events.jsonl');
  writeFileSync(events, JSON.stringify(recorded.event) + '\n');
  const replay = (event: unknown): Alert[] => {
    writeFileSync(events, JSON.stringify(event) + '\n');
    const args = ['replay', events, '--rules', MACROS, '--rules', join(dir, 'rules.yaml')];
    const res = spawnSync(process.execPath, vigilArgv(args), { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    return res.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Alert);
  };
  // The shell is in the busybox image, which the exception names; in another repository it alerts.
  assert.deepEqual(replay(recorded.event), []);
  const other = { ...recorded.event, container: { ...recorded.event.container!, image_repository: 'x/y' } };
  const alerts = replay(other);
  assert.deepEqual(
    alerts.map((a) => a.output),
    [`shell in x/y:${ctrd!.image.tag} (pod ${NS}/shell-1)`],
  );
  assert.deepEqual(alerts[0].event.container, other.container);
});
