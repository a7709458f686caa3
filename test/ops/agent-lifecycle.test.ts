/**
 * The real agent (`vigil run`) on the real kernel: once it logs `ready`, its
 * /readyz and /metrics answer on the address it logged; on SIGTERM it exits 0
 * and every BPF program it held is gone from the kernel (checked with bpftool:
 * a program still attached, e.g. to a cgroup, would still be listed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLive } from '../support/live.js';
import { packageRoot } from '../../src/config/paths.js';
import { vigilCommand } from './cli.js';
import { loadedProgramIds, programsLeft } from '../support/bpf-programs.js';

const MARKER = `vigil-agent-test-${process.pid}`;
const RULE = 'vigil agent test marker';

/** BPF program ids held by a process, from its descriptors' fdinfo. */
function heldProgramIds(pid: number): Set<number> {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (!/bpf-prog|bpf_link/.test(target)) continue;
    const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    if (m) ids.add(Number(m[1]));
  }
  return ids;
}

interface LogLine {
  msg?: string;
  listen?: string;
  [k: string]: unknown;
}

test('agent: ready, serves /readyz and /metrics, and on SIGTERM exits 0 leaving no BPF program', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'vigil.yaml');
  writeFileSync(
    config,
    [
      'metrics:',
      '  listen: 127.0.0.1:0',
      '  token: ${ENV:VG_TEST_TOKEN}',
      'logging:',
      '  level: info',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const rules = join(dir, 'marker.yaml');
  writeFileSync(
    rules,
    [
      `- rule: ${RULE}`,
      '  desc: an exec whose arguments carry the marker of this test',
      `  condition: evt.type = execve and proc.cmdline contains "${MARKER}"`,
      '  output: marker run (cmdline=%proc.cmdline)',
      '  priority: Notice',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const [cmd, args] = vigilCommand([
    'run',
    '--config',
    config,
    '--rules',
    rules,
    '--db',
    join(dir, 'alerts.db'),
    '--json',
  ]);
  const child = spawn(cmd, args, {
    cwd: packageRoot(),
    env: { ...process.env, VG_TEST_TOKEN: 'agent-test-token' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logs: LogLine[] = [];
  let stderrTail = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as LogLine;
          logs.push(rec);
          if (rec.msg === 'ready') resolve();
        } catch {
          // not a log record
        }
      }
    });
    void exited.then((code) => reject(new Error(`agent exited with ${code} before ready:\n${stderrTail}`)));
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  await ready;

  const held = heldProgramIds(child.pid!);
  assert.ok(held.size > 0, 'the agent holds BPF programs');
  const loaded = loadedProgramIds();
  for (const id of held) assert.ok(loaded.has(id), `program ${id} is loaded`);

  const listen = logs.find((l) => typeof l.listen === 'string')?.listen;
  assert.ok(listen, 'the agent logs its metrics address');
  const base = `http://${listen}`;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/metrics`)).status, 401, 'the token from ${ENV:...} is required');
  execFileSync('cat', ['/etc/hostname']); // at least one exec and one open while it runs
  const metrics = await (
    await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer agent-test-token' } })
  ).text();
  assert.match(metrics, /^vigil_ready 1$/m);
  assert.match(metrics, /^vigil_rules_loaded [1-9]\d*$/m);
  assert.match(metrics, /^vigil_process_table_size [1-9]\d*$/m);
  assert.match(metrics, /^vigil_events_dropped_total\{where="kernel"\} \d+$/m);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderrTail);
  assert.ok(
    logs.some((l) => l.msg === 'stopped'),
    'the agent logs that it stopped',
  );
  const left = await programsLeft((p) => held.has(p.id));
  assert.deepEqual(left, [], 'no program of the agent is left in the kernel');
});
