/**
 * `vigil run` end to end on the real kernel: the agent starts, says `ready`,
 * turns a real `cat /etc/shadow` into an alert on stdout and in SQLite, stays
 * quiet for a benign read, and on SIGTERM detaches every probe.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { packageRoot } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';
import { liveUnavailable, requireLive } from '../support/live.js';
import { loadedProgramIds, programsLeft } from '../support/bpf-programs.js';

const RULES = `
- rule: Agent test shadow read
  desc: a process read /etc/shadow
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow and proc.name = cat
  output: shadow read by %proc.name (file=%fd.name parent=%proc.pname cmd=%proc.cmdline)
  priority: WARNING
  tags: [test]
`;

const BIN = join(packageRoot(), 'bin/vigil.js');

let dir = '';
let agent: ChildProcess | undefined;
const alerts: Alert[] = [];
let stderr = '';
let before_ = new Set<number>();

async function waitFor(done: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  if (liveUnavailable() !== null) return;
  before_ = loadedProgramIds();
  dir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
  writeFileSync(join(dir, 'rules.yaml'), RULES, { mode: 0o644 });
  // Port 0: another agent (a test or a developer's) may hold the default metrics port.
  writeFileSync(join(dir, 'vigil.yaml'), 'metrics:\n  listen: 127.0.0.1:0\n', { mode: 0o644 });
  agent = spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--json',
      '--config',
      join(dir, 'vigil.yaml'),
      '--rules',
      join(dir, 'rules.yaml'),
      '--db',
      join(dir, 'a.db'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  createInterface({ input: agent.stdout! }).on('line', (l) => alerts.push(JSON.parse(l) as Alert));
  agent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => /"msg":"ready"/.test(stderr), 'ready');
});

after(() => {
  agent?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the agent turns a real read of /etc/shadow into an alert, and a benign read into none', async (t) => {
  if (!requireLive(t)) return;
  execFileSync('cat', ['/etc/hostname'], { stdio: 'ignore' });
  execFileSync('cat', ['/etc/shadow'], { stdio: 'ignore' });
  await waitFor(() => alerts.length > 0, 'the alert');
  // The benign read ran first: had it alerted, its alert would have come first.
  const a = alerts[0];
  assert.equal(a.rule, 'Agent test shadow read');
  assert.equal(a.priority, 'Warning');
  assert.equal(a.action, 'alert');
  assert.equal(a.output_fields['fd.name'], '/etc/shadow');
  assert.equal(a.output_fields['proc.name'], 'cat');
  assert.equal(a.event.proc.exe, '/usr/bin/cat');
  assert.deepEqual(a.event.proc.args, ['cat', '/etc/shadow']);
  assert.match(a.output, /^shadow read by cat \(file=\/etc\/shadow parent=node cmd=cat \/etc\/shadow\)$/);
  assert.equal(a.event.proc.ancestors[0].pid, process.pid);
  assert.equal(alerts.filter((x) => x.event.fd?.name === '/etc/hostname').length, 0);
});

test('SIGTERM flushes the store and detaches every probe', async (t) => {
  if (!requireLive(t)) return;
  const mine = [...loadedProgramIds()].filter((id) => !before_.has(id));
  assert.ok(mine.length > 0, 'the agent loaded its programs');
  const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
  agent!.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /"msg":"stopped"/);
  const db = new Database(join(dir, 'a.db'), { readonly: true });
  const stored = db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number };
  db.close();
  assert.equal(stored.n, alerts.length);
  const left = await programsLeft((p) => mine.includes(p.id));
  assert.deepEqual(left, [], 'no program of the agent is left loaded');
});
