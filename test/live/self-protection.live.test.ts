/**
 * Self-protection end to end: a real `vigil run` (no --enforce, its own rules file) raises
 * "Agent tampering" when a shell signals it: SIGHUP while it keeps running, SIGTERM as it stops
 * (the graceful shutdown drains the ring buffer and commits the alert before exiting). Benign
 * twins stay silent: `kill -0` on the agent, a signal to another process, and a process
 * signalling itself (the agent's own activity never leaves the kernel).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Alert } from '../../src/event/alert.js';
import { AgentBpfObjects } from '../../src/sensor/agent-bpf-objects.js';
import { requireLive } from '../support/live.js';
import { Agent, waitFor } from '../enforce/agent.js';

const RULES = `
- rule: Self-protection test marker
  desc: a marker the test waits for, so it knows the agent has seen what came before
  condition: evt.type = execve and proc.name = true and proc.args = vigil-self-protection-marker
  output: marker (%proc.cmdline)
  priority: NOTICE
  tags: [test]
`;

const TAMPERING = 'Agent tampering';

test('signals to the agent raise Agent tampering, SIGTERM included; benign signals do not', async (t) => {
  if (!requireLive(t)) return;
  const agent = await Agent.start(RULES, []);
  const log = (): string => agent.stderr;
  const tampering = (): Alert[] => agent.alerts.filter((a) => a.rule === TAMPERING);
  try {
    // Benign twins first: none of them may alert.
    execFileSync('/bin/sh', ['-c', `kill -0 ${agent.pid}`]);
    execFileSync('/bin/sh', ['-c', 'sleep 30 & kill -TERM $!; wait $! || true'], { stdio: 'ignore' });
    execFileSync('/bin/sh', ['-c', 'kill -WINCH $$']);
    execFileSync('/usr/bin/true', ['vigil-self-protection-marker']);
    await waitFor(
      () => agent.alerts.some((a) => a.rule === 'Self-protection test marker'),
      'the marker',
      log,
    );
    assert.deepEqual(tampering(), [], 'no tampering alert for the benign signals');

    // SIGHUP: the agent reloads its rules and keeps running; the alert names the sender.
    const hup = spawn('/bin/sh', ['-c', `kill -HUP ${agent.pid}`], { stdio: 'ignore' });
    await waitFor(() => tampering().length > 0, 'the SIGHUP alert', log);
    const a = tampering()[0];
    assert.equal(a.priority, 'Critical');
    assert.deepEqual(a.tags.includes('self_protection') && a.tags.includes('T1562.001'), true);
    assert.equal(a.output_fields['evt.type'], 'kill');
    assert.equal(a.output_fields['evt.arg.sig'], 'SIGHUP');
    assert.equal(a.output_fields['evt.target.pid'], agent.pid);
    assert.equal(a.output_fields['proc.name'], 'sh');
    assert.equal(a.event.proc.pid, hup.pid);
    assert.match(a.output, /^vigil agent tampering \(call=kill signal=SIGHUP /);

    // SIGTERM from a shell: the alert is printed and stored before the agent exits.
    const term = spawn('/bin/sh', ['-c', `kill -TERM ${agent.pid}`], { stdio: 'ignore' });
    const exited = await agent.exited();
    assert.equal(exited, 0, log());
    const last = tampering().find((x) => x.output_fields['evt.arg.sig'] === 'SIGTERM');
    assert.ok(last, `a SIGTERM alert before exit; got ${JSON.stringify(tampering().map((x) => x.output))}`);
    assert.equal(last.event.proc.pid, term.pid);
    const db = new Database(join(agent.dir, 'a.db'), { readonly: true });
    const stored = db.prepare('SELECT count(*) AS n FROM alerts WHERE rule = ?').get(TAMPERING) as {
      n: number;
    };
    db.close();
    assert.equal(stored.n, 2, 'both alerts committed to the store');
    assert.equal(tampering().length, 2);
  } finally {
    await agent.stop();
  }
});

test('strace on the agent for 2 s: one alert at once and counted follow-ups, not thousands', async (t) => {
  if (!requireLive(t)) return;
  const agent = await Agent.start(RULES, [], 'engine:\n  tamper_repeat_interval: 1\n');
  const log = (): string => agent.stderr;
  try {
    const tracer = spawn('timeout', ['2', 'strace', '-f', '-o', '/dev/null', '-p', String(agent.pid)], {
      stdio: 'ignore',
    });
    const fromTracer = (): Alert[] =>
      agent.alerts.filter((a) => a.rule === TAMPERING && a.event.type === 'ptrace');
    await new Promise((r) => tracer.once('exit', r));
    // The follow-ups come when each 1 s interval ends; wait until one has come and a quiet
    // interval has passed.
    await waitFor(
      () => fromTracer().some((a) => a.output_fields['vigil.repeats'] !== undefined),
      'a follow-up',
      log,
    );
    await new Promise((r) => setTimeout(r, 2500));
    const alerts = fromTracer();
    const repeats = alerts.reduce((n, a) => n + Number(a.output_fields['vigil.repeats'] ?? 0), 0);
    t.diagnostic(`${alerts.length} alerts carrying ${repeats} counted repeats`);
    assert.ok(alerts.length <= 5, `a handful of alerts, got ${alerts.length}`);
    assert.equal(alerts[0].output_fields['vigil.repeats'], undefined, 'the first alert comes at once');
    assert.ok(repeats > 10, `the repeats are counted (${repeats})`);
    assert.ok(alerts.every((a) => a.event.proc.name === 'strace'));
  } finally {
    await agent.stop();
  }
});

test("bpftool map update of the agent's vg_config raises one Agent tampering alert naming bpftool", async (t) => {
  if (!requireLive(t)) return;
  const agent = await Agent.start(RULES, []);
  const log = (): string => agent.stderr;
  try {
    const own = new AgentBpfObjects(agent.pid);
    own.scan();
    const mine = new Set(own.idsOf('map'));
    const maps = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as {
      id: number;
      name?: string;
    }[];
    const config = maps.find((m) => m.name === 'vg_config' && mine.has(m.id));
    const other = maps.find((m) => !mine.has(m.id));
    assert.ok(config, "the agent's vg_config");
    const id = String(config.id);
    const key = ['0', '0', '0', '0'];
    const looked = JSON.parse(
      execFileSync('bpftool', ['-j', 'map', 'lookup', 'id', id, 'key', ...key], { encoding: 'utf8' }),
    ) as { value: string[] };
    // Benign twin first: showing another map (or none) raises nothing.
    if (other !== undefined)
      execFileSync('bpftool', ['map', 'show', 'id', String(other.id)], { stdio: 'ignore' });
    // The same value written back: an update all the same, and the agent keeps working.
    const value = looked.value.map((b) => String(parseInt(b, 16)));
    const upd = spawn('bpftool', ['map', 'update', 'id', id, 'key', ...key, 'value', ...value], {
      stdio: 'ignore',
    });
    const a = await agent.alertFor(TAMPERING, upd.pid!, 'bpf');
    assert.equal(a.output_fields['proc.name'], 'bpftool');
    assert.equal(a.output_fields['evt.arg.cmd'], 'BPF_MAP_UPDATE_ELEM');
    assert.equal(a.output_fields['evt.arg.target_id'], id);
    execFileSync('/usr/bin/true', ['vigil-self-protection-marker']);
    await waitFor(
      () => agent.alerts.some((x) => x.rule === 'Self-protection test marker'),
      'the marker',
      log,
    );
    assert.equal(agent.alerts.filter((x) => x.rule === TAMPERING).length, 1, 'one alert: the update');
  } finally {
    await agent.stop();
  }
});
