/**
 * The real agent (`vigil run`, root and BPF) with an HTTP sink whose real receiver refuses every
 * delivery for two minutes: liveness stays 200 throughout while readiness and /status name the
 * sink; once the receiver accepts, the alert arrives (without the environment) and the agent is
 * ready again. Also checked on the real process: the generated metrics token (0600, required by
 * /metrics, the same after a restart), the store's modes, and log lines free of the sink URL's
 * path and query.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLive } from '../support/live.js';
import { startReceiver } from '../outputs/support/http-receiver.js';
import { startAgent, writeMarkerRule, type RunningAgent } from './agent-process.js';

const OUTAGE_MS = 120_000;
const MARKER = `vigil-health-test-${process.pid}`;

async function stop(a: RunningAgent): Promise<void> {
  a.child.kill('SIGTERM');
  assert.equal(await a.exited, 0, a.stderr().slice(-4000));
}

test('a sink down for two minutes: liveness stays 200, readiness and /status name the sink', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-health-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let up = false;
  let refused = 0;
  const rx = await startReceiver(() => (up ? { status: 200 } : (refused++, { status: 503, body: 'down' })));
  t.after(() => rx.close());
  const config = join(dir, 'vigil.yaml');
  writeFileSync(
    config,
    [
      'metrics:',
      '  listen: 127.0.0.1:0',
      'outputs:',
      '  sinks:',
      '    - type: http',
      '      name: siem',
      `      url: ${rx.url}/hook/PATHSECRET?sig=QUERYSECRET`,
      '      batch: { max_wait_ms: 10 }',
      '      retry: { initial_ms: 200, max_ms: 2000 }',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const rules = join(dir, 'marker.yaml');
  writeMarkerRule(rules, 'vigil health test marker', MARKER);
  const state = join(dir, 'state');
  const db = join(state, 'alerts.db');
  const args = ['run', '--config', config, '--rules', rules, '--db', db];
  const agent = await startAgent(args);
  t.after(() => agent.child.exitCode === null && agent.child.kill('SIGKILL'));
  const base = agent.base!;

  // The token generated on the first start, beside the store, and the store's modes.
  const tokenFile = join(state, 'metrics.token');
  const token = readFileSync(tokenFile, 'utf8').trim();
  assert.ok(agent.logs.some((l) => l.msg === 'metrics token generated' && l.file === tokenFile));
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(statSync(state).mode & 0o777, 0o700);
  for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
  const auth = { headers: { authorization: `Bearer ${token}` } };
  assert.equal((await fetch(`${base}/metrics`)).status, 401);
  assert.equal((await fetch(`${base}/status`)).status, 401);
  assert.equal((await fetch(`${base}/metrics`, auth)).status, 200);

  // An alert for the refusing sink, from a process whose environment holds a secret.
  execFileSync('/bin/sh', ['-c', `: ${MARKER}`], {
    env: { PATH: '/usr/bin:/bin', DATABASE_URL: 'postgres://app:Sup3rS3cret@db/app' },
  });
  const until = Date.now() + OUTAGE_MS;
  let sawNotReady = false;
  while (Date.now() < until) {
    const live = await fetch(`${base}/livez`);
    assert.equal(live.status, 200, await live.text());
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz?verbose`);
    const body = await ready.text();
    if (ready.status === 503) {
      assert.match(body, /^\[-\]sink:siem failed$/m);
      assert.match(body, /^\[\+\]probes ok$/m);
      sawNotReady = true;
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
  assert.ok(sawNotReady, 'readiness failed while the sink was down');
  assert.ok(refused >= 10, `the sink kept retrying (${refused} refusals)`);
  const status = (await (await fetch(`${base}/status`, auth)).json()) as {
    live: boolean;
    ready: boolean;
    sinks: { name: string; state: string; lastError: string }[];
  };
  assert.equal(status.live, true);
  assert.equal(status.ready, false);
  assert.equal(status.sinks[0].name, 'siem');
  assert.equal(status.sinks[0].state, 'failing');
  assert.match(status.sinks[0].lastError, /\/\*\*\*: HTTP 503/);

  up = true;
  await rx.until((r) => r.some((q) => q.body.includes(MARKER)));
  const sent = rx.requests.find((q) => q.body.includes(MARKER))!.body;
  assert.doesNotMatch(sent, /Sup3rS3cret|DATABASE_URL/, 'no environment in the alert');
  for (let i = 0; i < 50 && (await fetch(`${base}/readyz`)).status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal((await fetch(`${base}/readyz`)).status, 200, 'ready again');
  await stop(agent);
  const logText = agent.stderr();
  assert.match(logText, /sink delivery failed, retrying/);
  for (const secret of ['PATHSECRET', 'QUERYSECRET']) assert.ok(!logText.includes(secret), secret);

  // A restart reads the same token.
  const again = await startAgent(args);
  t.after(() => again.child.exitCode === null && again.child.kill('SIGKILL'));
  assert.equal(readFileSync(tokenFile, 'utf8').trim(), token);
  assert.ok(!again.logs.some((l) => l.msg === 'metrics token generated'));
  assert.equal((await fetch(`${again.base!}/metrics`, auth)).status, 200);
  await stop(again);
});
