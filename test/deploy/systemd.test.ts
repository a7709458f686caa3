/**
 * deploy/systemd/vigil.service: systemd's own checks (`systemd-analyze verify`
 * and the offline security exposure score), and the options vigil depends on.
 * (These machines run no systemd as PID 1, so the unit is not started here.)
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { repo } from './support.js';

const UNIT = repo('deploy', 'systemd', 'vigil.service');
const ANALYZE = '/usr/bin/systemd-analyze';

function options(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(UNIT, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}
const one = (key: string): string | undefined => options().get(key)?.at(-1);

function needsAnalyze(t: TestContext): boolean {
  if (existsSync(ANALYZE)) return true;
  t.skip('systemd-analyze is not installed');
  return false;
}

test('systemd-analyze verify accepts the unit', (t) => {
  if (!needsAnalyze(t)) return;
  const r = spawnSync(ANALYZE, ['verify', UNIT], { encoding: 'utf8' });
  // verify prints problems on stderr even when it exits 0 for some of them: require both clean.
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '');
});

test('hardened: systemd rates the exposure of the unit below 5 ("OK" or better)', (t) => {
  if (!needsAnalyze(t)) return;
  const out = execFileSync(ANALYZE, ['security', '--offline=yes', '--no-pager', UNIT], { encoding: 'utf8' });
  const m = /Overall exposure level for vigil\.service: (\d+\.\d+)/.exec(out);
  assert.ok(m, out.slice(-400));
  assert.ok(Number(m[1]) < 5, `exposure ${m[1]}`);
});

test('the unit still lets vigil run: capabilities, syscalls, writable state, reload and stop signals', () => {
  const caps = one('CapabilityBoundingSet')?.split(/\s+/) ?? [];
  for (const cap of ['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN'])
    assert.ok(caps.includes(cap), cap);
  const syscalls = one('SystemCallFilter')?.split(/\s+/) ?? [];
  for (const s of ['bpf', 'perf_event_open', '@mount']) assert.ok(syscalls.includes(s), s);
  assert.equal(one('MemoryDenyWriteExecute'), undefined, 'V8 needs W+X memory');
  assert.equal(one('ProtectKernelTunables'), undefined, 'the agent may need to mount tracefs under /sys');
  assert.equal(one('StateDirectory'), 'vigil');
  assert.equal(one('LimitMEMLOCK'), 'infinity');
  assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(one('KillSignal'), 'SIGTERM');
  const exec = one('ExecStart')?.split(/\s+/) ?? [];
  assert.deepEqual(exec.slice(0, 4), [
    '/usr/bin/node',
    '--max-semi-space-size=2',
    '/opt/vigil/bin/vigil.js',
    'run',
  ]);
  assert.ok(existsSync(repo('bin', 'vigil.js')));
});
