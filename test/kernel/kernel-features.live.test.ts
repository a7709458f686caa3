/**
 * The kernel feature checks on the real kernel (live: root + BPF). Independent oracle for
 * BPF LSM: libbpf's own feature probe (`bpftool feature probe`); where it says
 * lsm is not available, the checks must say so too, with the reason, and
 * report enforcement as the kill fallback (this project's machines: docs/architecture.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { requireLive } from '../support/live.js';
import { probeKernelFeatures } from '../../src/kernel/kernel-features.js';
import { formatReport } from '../../src/cli/doctor.js';
import { programsLeft } from '../support/bpf-programs.js';

const BPFTOOL = '/usr/sbin/bpftool';

function bpftool(args: string[]): string {
  return execFileSync(BPFTOOL, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

test('doctor on this kernel: tracepoints work, LSM unavailable with its reason, kill fallback', async (t) => {
  if (!requireLive(t)) return;
  const report = await probeKernelFeatures();
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  for (const id of ['kernel', 'btf', 'privileges', 'tracefs', 'lsm_list', 'lockdown', 'cgroup2', 'ringbuf']) {
    assert.ok(byId.has(id), `check ${id} is reported`);
  }
  assert.equal(report.canRun, true, formatReport(report));
  assert.equal(report.programs.tracepoint, null);
  assert.equal(byId.get('btf')?.status, 'ok');
  assert.equal(byId.get('ringbuf')?.status, 'ok');

  const libbpfSaysLsm = !/program_type lsm is NOT available/.test(bpftool(['feature', 'probe', 'kernel']));
  if (!libbpfSaysLsm) {
    assert.notEqual(report.programs.lsm, null, 'the doctor must not claim BPF LSM works');
    assert.match(report.programs.lsm ?? '', /^E[A-Z]+ at (load|attach)/);
    assert.equal(byId.get('prog_lsm')?.status, 'warn');
    assert.match(byId.get('prog_lsm')?.detail ?? '', /^unavailable: /);
    assert.match(byId.get('prog_lsm')?.meaning ?? '', /kill fallback/);
    assert.equal(report.sendSignal, null);
    assert.equal(report.enforcement, 'kill-fallback');
    assert.match(formatReport(report), /^\[warn\] lsm programs +unavailable: E[A-Z]+ at /m);
    assert.match(formatReport(report), /vigil can run here; enforcement: kill-fallback/);
  } else {
    assert.equal(report.enforcement, report.programs.lsm === null ? 'lsm' : 'kill-fallback');
  }
  // The cgroup v2 mount is found where it is (/sys/fs/cgroup/unified on these machines).
  const cg2 = execFileSync('findmnt', ['-n', '-t', 'cgroup2', '-o', 'TARGET'], { encoding: 'utf8' }).split(
    '\n',
  )[0];
  assert.equal(report.cgroup2, cg2 || null);
});

test('the doctor leaves no probe program loaded', async (t) => {
  if (!requireLive(t)) return;
  await probeKernelFeatures();
  assert.deepEqual(await programsLeft((p) => p.name?.startsWith('probe_') === true), []);
});
