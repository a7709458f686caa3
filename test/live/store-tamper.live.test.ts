/**
 * The alert store deleted under the real agent (`vigil run`, its own database): within a second
 * or two the agent raises `Alert store tampered` naming the path, opens a fresh store at it, and
 * alerts raised afterwards are committed there (the agent no longer writes into the deleted
 * file); /readyz turns 503 on its `store` check and /status says why, while liveness stays 200
 * (a restart cures nothing here). The pipeline's side (moved and replaced files, durable
 * sinks) is test/outputs/store-tamper.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { requireLive } from '../support/live.js';
import { Agent, waitFor } from '../enforce/agent.js';

const MARK = `vigil-store-tamper-marker-${process.pid}`;
const RULES = `
- rule: Store tamper test marker
  desc: a marker exec
  condition: evt.type = execve and proc.name = true and proc.args = ${MARK}
  output: marker (%proc.cmdline)
  priority: NOTICE
  tags: [test]
`;

test('the alert database deleted under the agent: an alert, a fresh store, alerts go on', async (t) => {
  if (!requireLive(t)) return;
  const agent = await Agent.start(RULES, [], '', 30_000, true);
  const log = (): string => agent.stderr;
  const db = join(agent.dir, 'a.db');
  try {
    execFileSync('/usr/bin/true', [MARK]);
    await waitFor(
      () => agent.alerts.some((a) => a.rule === 'Store tamper test marker'),
      'the first marker',
      log,
    );
    assert.equal((await fetch(`${agent.metricsUrl}/healthz`)).status, 200);
    unlinkSync(db);
    await waitFor(() => agent.alerts.some((a) => a.rule === 'Alert store tampered'), 'the tamper alert', log);
    const a = agent.alerts.find((x) => x.rule === 'Alert store tampered')!;
    assert.equal(a.priority, 'Critical');
    assert.equal(a.output_fields['vigil.store_path'], db);
    assert.equal(a.output_fields['vigil.store_change'], 'deleted');
    assert.equal(a.event.proc.pid, agent.pid, "the event is the agent's own process");
    assert.match(log(), /alert store tampered with: a fresh store is opened at its path/);
    assert.ok(existsSync(db), 'a fresh store at the path');
    assert.equal((await fetch(`${agent.metricsUrl}/livez`)).status, 200, 'still alive and detecting');
    const ready = await fetch(`${agent.metricsUrl}/readyz`);
    assert.equal(ready.status, 503, 'readiness turns red');
    assert.match(await ready.text(), /^\[-\]store failed$/m);
    const token = readFileSync(join(agent.dir, 'metrics.token'), 'utf8').trim();
    const status = await fetch(`${agent.metricsUrl}/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const checks = ((await status.json()) as { checks: { name: string; reason?: string }[] }).checks;
    assert.match(checks.find((c) => c.name === 'store')?.reason ?? '', /^store tampered: deleted at /);
    execFileSync('/usr/bin/true', [MARK]);
    await waitFor(
      () => agent.alerts.filter((x) => x.rule === 'Store tamper test marker').length === 2,
      'the second marker',
      log,
    );
    // The fresh file holds what came after: the tamper alert and the second marker, only.
    await waitFor(() => rulesIn(db).length === 2, 'both committed to the fresh store', log);
    assert.deepEqual(rulesIn(db).sort(), ['Alert store tampered', 'Store tamper test marker']);
  } finally {
    await agent.stop();
  }
});

function rulesIn(path: string): string[] {
  const d = new Database(path, { readonly: true });
  try {
    return (d.prepare('SELECT rule FROM alerts').all() as { rule: string }[]).map((r) => r.rule);
  } finally {
    d.close();
  }
}
