/**
 * Live: Falco's stable, incubating and sandbox rulesets, loaded unchanged, run on the kernel's
 * events. The rules that need container.mount* and evt.buffer fire for the real action and stay
 * silent for its twin; the agent (`vigil run`) starts with the three files and tells which event
 * types carry mounts. Unit tests of the same: test/engine/falco-files.slow.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { deriveCapture } from '../../src/plan/capture.js';
import { NO_CAPTURE } from '../../src/sensor/capture-plan.js';
import { liveSensor, runTraced } from '../live/harness.js';
import { startAgent } from '../ops/agent-process.js';
import { StandInContainer } from '../support/container.js';
import { FALCO_INCUBATING, FALCO_RULES, FALCO_SANDBOX, falcoRulesMissing } from '../support/falco.js';
import { requireLive } from '../support/live.js';
import { PY, RuleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('falco-files');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Falco's Java rule ships disabled: a user file turns it on, as a Falco user would. */
const ENABLE_JAVA = join(dir, 'enable-java.yaml');
writeFileSync(
  ENABLE_JAVA,
  '- rule: Java Process Class File Download\n  enabled: true\n  override:\n    enabled: replace\n',
);
const FILES = [FALCO_RULES, FALCO_INCUBATING, FALCO_SANDBOX];

let rules: Ruleset | undefined;
/** The runner for the three files (and the Java rule on), the sensor copying what they read. */
async function runner(t: TestContext): Promise<RuleRunner | null> {
  if (falcoRulesMissing() !== null) {
    t.skip(`${FALCO_RULES} is not on this machine`);
    return null;
  }
  const live = await liveSensor(t);
  if (!live) return null;
  rules ??= loadRuleset([...FILES, ENABLE_JAVA], 'all');
  live.sensor.setCapture(deriveCapture(rules.enabledRules, 80));
  return new RuleRunner(live, rules);
}

/** A stand-in container whose first process binds `binds` (host path -> under dir) then execs sleep. */
function containerWith(c: StandInContainer, binds: string[]): string[] {
  const root = join(dir, c.id);
  const cmds = binds.map((src, i) => {
    mkdirSync(join(root, String(i)), { recursive: true });
    return `mount --bind ${src} ${join(root, String(i))}`;
  });
  return c.argv(sh([...cmds, 'exec /usr/bin/sleep 0.5'].join(' && ')));
}

test('Launch Sensitive Mount Container: host /etc and / bound into a container', async (t) => {
  const r = await runner(t);
  if (!r) return;
  const c = StandInContainer.create();
  try {
    // The rule fires at each exec once a sensitive mount is there, the second `mount` included
    // (with /etc only): the entrypoint's exec, sleep, sees both.
    const out = await r.run(containerWith(c, ['/etc', '/']));
    const alert = out.alerts.find(
      (a) => a.rule === 'Launch Sensitive Mount Container' && a.event.proc.name === 'sleep',
    );
    assert.ok(alert, JSON.stringify(out.alerts.map((a) => [a.rule, a.event.proc.name])));
    const root = join(dir, c.id);
    // source:dest:mode:rdwr:propagation, the mode as the kernel has the bind's options.
    assert.match(
      String(alert.output_fields['container.mounts']),
      new RegExp(`^/etc:${root}/0:[a-z,]+:true:private,/:${root}/1:[a-z,]+:true:private$`),
    );
    assert.match(alert.output, /^Container with sensitive mount started \| mounts=\/etc:/);
    assert.equal(alert.event.container?.mounts?.length, 2);
  } finally {
    c.remove();
  }
  const twin = StandInContainer.create();
  try {
    await r.silent('Launch Sensitive Mount Container', containerWith(twin, []));
  } finally {
    twin.remove();
  }
});

const recvCode = (payloadHex: string): string =>
  [
    'import socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))',
    'c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    `c.sendto(bytes.fromhex("${payloadHex}") + b"Exploit", s.getsockname())`,
    's.recvfrom(4096)',
  ].join('\n');

test('Java Process Class File Download: evt.buffer of a recvfrom holds a class file', async (t) => {
  const r = await runner(t);
  if (!r) return;
  const java = toolCopy(dir, 'java', PY);
  const alert = await r.fires('Java Process Class File Download', [java, '-c', recvCode('cafebabe0000003d')]);
  assert.equal(alert.event.type, 'recvfrom');
  assert.equal(Buffer.from(alert.event.buffer!, 'latin1').subarray(0, 4).toString('hex'), 'cafebabe');
  await r.silent('Java Process Class File Download', [java, '-c', recvCode('48454c4c4f')]);
});

test('no rule reads evt.buffer: recvfrom events carry no data', async (t) => {
  if (!requireLive(t)) return;
  const live = await liveSensor(t);
  if (!live) return;
  live.sensor.setCapture(NO_CAPTURE);
  const { events } = await runTraced(live, PY, ['-c', recvCode('cafebabe')]);
  const recv = events.filter((e) => e.type === 'recvfrom');
  assert.ok(recv.length > 0, 'the recvfrom is seen');
  assert.ok(recv.every((e) => e.buffer === undefined && e.container?.mounts === undefined));
});

test('the agent starts with the three files and reads mounts for their rules', async (t) => {
  if (!requireLive(t)) return;
  if (falcoRulesMissing() !== null) return t.skip(`${FALCO_RULES} is not on this machine`);
  const config = join(dir, 'vigil.yaml');
  writeFileSync(config, 'metrics:\n  enabled: false\nlogging:\n  level: info\n', { mode: 0o600 });
  const args = ['run', '--config', config, '--db', join(dir, 'alerts.db'), '--json'];
  for (const f of FILES) args.push('--rules', f);
  const agent = await startAgent(args);
  t.after(() => {
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  });
  const probes = agent.logs.find((l) => l.msg === 'probes') as { capture?: { mounts: string[] } } | undefined;
  assert.ok(probes?.capture?.mounts.includes('execve'), JSON.stringify(probes?.capture));
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0);
});
