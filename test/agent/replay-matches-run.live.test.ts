/**
 * `vigil replay` and `vigil run` decide alike: the agent (monitor mode) runs while `vigil record`
 * saves the same kernel events; replaying the recording with the same configuration and rules
 * gives, for every event of the test's actions, the same alerts as the agent raised, verdicts
 * (would-kill, would-deny) included. Only the uuid differs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { packageRoot } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';
import { liveUnavailable, requireLive } from '../support/live.js';

const BIN = join(packageRoot(), 'bin/vigil.js');
const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-run-'));
const VICTIM = join(dir, 'victim');

const rules = (port: number): string => `
- rule: Replay test shadow read
  desc: cat read /etc/shadow
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow and proc.name = cat
  output: shadow read by %proc.name (file=%fd.name cmd=%proc.cmdline parent=%proc.pname)
  priority: WARNING
- rule: Replay test victim run
  desc: the victim binary ran
  condition: evt.type in (execve, execveat) and proc.exepath = ${VICTIM}
  output: victim ran (exe=%proc.exepath cmd=%proc.cmdline)
  priority: CRITICAL
  action: kill
- rule: Replay test connect
  desc: a connect to the test port
  condition: evt.type = connect and fd.sport = ${port}
  output: connect to %fd.name by %proc.name
  priority: NOTICE
  action: deny
`;

interface Running {
  child: ChildProcess;
  stderr: string;
  lines: string[];
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Running = { child, stderr: '', lines: [] };
  createInterface({ input: child.stdout! }).on('line', (l) => r.lines.push(l));
  child.stderr!.on('data', (d: Buffer) => (r.stderr += d.toString()));
  return r;
}

async function waitFor(done: () => boolean, what: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const stopped = (c: ChildProcess): Promise<void> => new Promise((r) => c.once('exit', () => r()));

let agent: Running | undefined;
let recorder: Running | undefined;
let port = 0;
const server = createServer((s) => s.destroy());

before(async () => {
  if (liveUnavailable() !== null) return;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  writeFileSync(join(dir, 'rules.yaml'), rules(port), { mode: 0o644 });
  writeFileSync(join(dir, 'vigil.yaml'), 'hostname: replay-test\nmetrics:\n  enabled: false\n', {
    mode: 0o644,
  });
  copyFileSync('/bin/true', VICTIM);
  recorder = start(['record', join(dir, 'events.jsonl')]);
  const config = ['--config', join(dir, 'vigil.yaml'), '--rules', join(dir, 'rules.yaml')];
  agent = start(['run', '--json', ...config, '--db', join(dir, 'a.db')]);
  await waitFor(() => /"msg":"ready"/.test(recorder!.stderr), 'the recorder to be ready');
  await waitFor(() => /"msg":"ready"/.test(agent!.stderr), 'the agent to be ready');
});

after(() => {
  agent?.child.kill('SIGKILL');
  recorder?.child.kill('SIGKILL');
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Alerts keyed by rule, pid and event type, without their uuid and times: the agent and the
 * recorder each turn the kernel's boot-time clock into epoch time with their own offset (read at
 * their start), so the same record's time differs between them by microseconds.
 */
function byEvent(alerts: Alert[]): Map<string, unknown> {
  const timeless = (a: Alert): unknown =>
    JSON.parse(JSON.stringify(a), (k: string, v: unknown) =>
      k === 'uuid' || k === 'time' || /(^|_)ts$/.test(k) ? undefined : v,
    );
  return new Map(alerts.map((a) => [`${a.rule} ${a.event.proc.pid} ${a.event.type}`, timeless(a)]));
}

test('replay of the recorded events gives the alerts and verdicts the agent gave', async (t) => {
  if (!requireLive(t)) return;
  execFileSync('cat', ['/etc/shadow'], { stdio: 'ignore' });
  execFileSync(VICTIM);
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end());
    s.on('close', () => resolve()).on('error', reject);
  });
  const ours = (a: Alert): boolean => a.rule.startsWith('Replay test');
  const agentAlerts = (): Alert[] => agent!.lines.map((l) => JSON.parse(l) as Alert).filter(ours);
  await waitFor(() => new Set(agentAlerts().map((a) => a.rule)).size === 3, 'the agent to raise 3 rules');
  // The recorder has the events once the agent has them: both read the same ring-buffer records.
  await new Promise((r) => setTimeout(r, 500));
  recorder!.child.kill('SIGINT');
  await stopped(recorder!.child);
  agent!.child.kill('SIGTERM');
  await stopped(agent!.child);

  const replay = execFileSync(
    process.execPath,
    [
      BIN,
      'replay',
      join(dir, 'events.jsonl'),
      '--config',
      join(dir, 'vigil.yaml'),
      '--rules',
      join(dir, 'rules.yaml'),
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const replayed = replay
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert)
    .filter(ours);
  const fromAgent = byEvent(agentAlerts());
  const fromReplay = byEvent(replayed);
  assert.deepEqual([...fromReplay.keys()].sort(), [...fromAgent.keys()].sort());
  for (const [key, a] of fromAgent) {
    const b = fromReplay.get(key);
    assert.deepEqual(b, a, `${key}: ${JSON.stringify(b)}\n!==\n${JSON.stringify(a)}`);
  }
  const actions = new Map(agentAlerts().map((a) => [a.rule, a.action]));
  assert.equal(actions.get('Replay test victim run'), 'would-kill');
  assert.equal(actions.get('Replay test connect'), 'would-deny');
  assert.equal(actions.get('Replay test shadow read'), 'alert');
  assert.ok(readFileSync(join(dir, 'events.jsonl')).length > 0);
});
