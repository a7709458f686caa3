/**
 * Live: Falco's stable rules that use container fields, loaded as they are (../shared/falco,
 * never copied), evaluated on real pods under a containerd started by the test, as Falco
 * evaluates them: Terminal shell in container (a shell with a terminal as a container's
 * entrypoint) and Debugfs Launched in Privileged Container (container.privileged), each with its
 * benign twin. A marker rule (`true` run in a pod) tells when a container's events are all in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { Containerd, containerdMissing, requireContainerd } from '../support/containerd.js';
import { FALCO_RULES, falcoRulesMissing } from '../support/falco.js';
import { AgentProcess } from './agent.js';

const NS = 'vigil-falco';
const MARKER = 'Test marker';
const RULES = `
- rule: ${MARKER}
  desc: true run in a pod of the test namespace (the events before it are in)
  condition: spawned_process and container and proc.name = true and k8s.ns.name = ${NS}
  output: marker in %container.name
  priority: DEBUG
`;

let dir = '';
let ctrd: Containerd | undefined;
let agent: AgentProcess | undefined;

const ready = (t: TestContext): boolean => requireContainerd(t, falcoRulesMissing() ?? '');

before(async () => {
  if (process.getuid?.() !== 0 || containerdMissing() !== '' || falcoRulesMissing() !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-falco-pods-'));
  ctrd = await Containerd.start();
  agent = await AgentProcess.start(dir, ctrd.socket, RULES, '  metadata_wait_ms: 3000\n', FALCO_RULES);
});
after(async () => {
  const code = await agent?.stop();
  await ctrd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (code !== undefined && code !== 0) throw new Error(`the agent exited ${code}:\n${agent?.stderr}`);
});

/** Runs `true` in the container and waits for the marker: every earlier event of it is in. */
async function drained(id: string): Promise<void> {
  const before = agent!.alerts.filter((a) => a.rule === MARKER).length;
  await ctrd!.cri.execSync(id, ['/bin/true']);
  await agent!.waitFor(
    () =>
      agent!.alerts.filter((a) => a.rule === MARKER && a.event.proc.container_id === id.slice(0, 12)).length >
        0 && agent!.alerts.filter((a) => a.rule === MARKER).length > before,
    `the marker of ${id.slice(0, 12)}`,
  );
}

test("Falco's Terminal shell in container: a shell with a terminal as entrypoint; not without", async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'falco-shell', namespace: NS, labels: { app: 'falco' } });
  const tty = await ctrd!.runContainer(pod, {
    name: 'tty',
    tty: true,
    command: ['/bin/sh', '-c', 'sleep 1000000'],
  });
  const alert = await agent!.alertFor('Terminal shell in container', tty.slice(0, 12));
  assert.equal(alert.event.container?.name, 'tty');
  assert.equal(alert.event.container?.pod?.labels?.app, 'falco');
  const plain = await ctrd!.runContainer(pod, { name: 'plain', command: ['/bin/sh', '-c', 'sleep 1000000'] });
  await drained(plain);
  assert.equal(agent!.has('Terminal shell in container', plain.slice(0, 12)), false);
  await ctrd!.removePod(pod);
});

test("Falco's Debugfs Launched in Privileged Container: in a privileged container; not otherwise", async (t) => {
  if (!ready(t)) return;
  const pod = await ctrd!.runPod({ name: 'falco-debugfs', namespace: NS });
  const priv = await ctrd!.runContainer(pod, { name: 'priv', privileged: true });
  const plain = await ctrd!.runContainer(pod, { name: 'plain' });
  // busybox has no debugfs: a link named so runs it under that name (proc.name debugfs).
  const run = ['/bin/sh', '-c', 'ln -sf /bin/busybox /tmp/debugfs; /tmp/debugfs; exit 0'];
  await ctrd!.cri.execSync(plain, run);
  await drained(plain);
  assert.equal(agent!.has('Debugfs Launched in Privileged Container', plain.slice(0, 12)), false);
  await ctrd!.cri.execSync(priv, run);
  const alert = await agent!.alertFor('Debugfs Launched in Privileged Container', priv.slice(0, 12));
  assert.equal(alert.event.proc.name, 'debugfs');
  assert.equal(alert.event.container?.privileged, true);
  await ctrd!.removePod(pod);
});
