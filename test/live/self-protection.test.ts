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
