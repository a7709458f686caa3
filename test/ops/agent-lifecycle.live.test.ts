/**
 * The real agent (`vigil run`) on the real kernel: once it logs `ready`, its
 * /readyz and /metrics answer on the address it logged; on SIGTERM it exits 0
 * and every BPF program it held is gone from the kernel (checked with bpftool:
 * a program still attached, e.g. to a cgroup, would still be listed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireLive } from '../support/live.js';
import { startAgent, writeMarkerRule } from './agent-process.js';
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
  writeMarkerRule(rules, RULE, MARKER);
  const agent = await startAgent(
    ['run', '--config', config, '--rules', rules, '--db', join(dir, 'alerts.db'), '--json'],
    { VG_TEST_TOKEN: 'agent-test-token' },
  );
  const { child, logs, exited } = agent;
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const held = heldProgramIds(child.pid!);
  assert.ok(held.size > 0, 'the agent holds BPF programs');
  const loaded = loadedProgramIds();
  for (const id of held) assert.ok(loaded.has(id), `program ${id} is loaded`);

  const base = agent.base;
  assert.ok(base, 'the agent logs its metrics address');
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/livez`)).status, 200);
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
  assert.equal(await exited, 0, agent.stderr().slice(-4000));
  assert.ok(
    logs.some((l) => l.msg === 'stopped'),
    'the agent logs that it stopped',
  );
  const left = await programsLeft((p) => held.has(p.id));
  assert.deepEqual(left, [], 'no program of the agent is left in the kernel');
});
