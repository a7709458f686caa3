/**
 * `vigil doctor` on the real kernel (live: root + BPF). Independent oracle for
 * BPF LSM: libbpf's own feature probe (`bpftool feature probe`); where it says
 * lsm is not available, the doctor must say so too, with the reason, and
 * report enforcement as the kill fallback (this project's machines: DESIGN.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { requireLive } from '../support/live.js';
import {
  probeKernelFeatures,
  parseLockdown,
  memlockLimit,
  effectiveCaps,
  parseKernelRelease,
} from '../../src/sensor/kernel-features.js';
import { formatReport } from '../../src/cli/doctor.js';
import { packageRoot } from '../../src/config/paths.js';
import { vigilCommand } from './cli.js';
import { programsLeft } from '../support/bpf-programs.js';

const BPFTOOL = '/usr/sbin/bpftool';

function bpftool(args: string[]): string {
  return execFileSync(BPFTOOL, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

test('parsers: lockdown mode, memlock limit, capabilities, kernel release', () => {
  assert.equal(parseLockdown('none [integrity] confidentiality\n'), 'integrity');
  assert.equal(parseLockdown(''), null);
  assert.equal(
    memlockLimit('Max locked memory         8388608              8388608              bytes\n'),
    8388608,
  );
  assert.equal(
    memlockLimit('Max locked memory         unlimited            unlimited            bytes\n'),
    null,
  );
  assert.equal(memlockLimit('nothing'), undefined);
  const caps = effectiveCaps('CapInh:\t0\nCapEff:\t000000c000200000\n');
  assert.equal(caps, (1n << 39n) | (1n << 38n) | (1n << 21n));
  assert.deepEqual(parseKernelRelease('6.18.44-fc-v769'), [6, 18]);
  assert.equal(parseKernelRelease('weird'), null);
});

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

test('vigil doctor --json: exit 0 here, the same report as JSON', (t) => {
  if (!requireLive(t)) return;
  const [cmd, args] = vigilCommand(['doctor', '--json']);
  const r = spawnSync(cmd, args, { cwd: packageRoot(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { canRun: boolean; checks: { id: string }[]; enforcement: string };
  assert.equal(report.canRun, true);
  assert.ok(report.checks.some((c) => c.id === 'prog_lsm'));
  assert.ok(['lsm', 'kill-fallback', 'none'].includes(report.enforcement));
});

test('vigil doctor exits 1 when vigil cannot run: unprivileged user, no probe object', async (t) => {
  if (!requireLive(t)) return;
  const missing = await probeKernelFeatures({ probeObject: '/nonexistent/doctor.bpf.o' });
  assert.equal(missing.canRun, false);
  assert.match(missing.programs.tracepoint ?? '', /not built; run make/);

  // As nobody: no capabilities, so no BPF at all (when nobody can read the checkout).
  const asNobody = { uid: 65534, gid: 65534, env: { PATH: process.env.PATH } };
  const readable = spawnSync(
    process.execPath,
    ['-e', `require('fs').readdirSync(${JSON.stringify(packageRoot())})`],
    asNobody,
  );
  if (readable.status !== 0) {
    t.skip(`user nobody cannot read ${packageRoot()}`);
    return;
  }
  const [cmd, args] = vigilCommand(['doctor']);
  const r = spawnSync(cmd, args, {
    cwd: packageRoot(),
    encoding: 'utf8',
    uid: 65534,
    gid: 65534,
    env: { PATH: process.env.PATH },
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^\[FAIL\] privileges +uid 65534, no relevant capabilities => vigil needs root/m);
  assert.match(r.stdout, /vigil cannot run here: fix the FAIL lines above/);
});
