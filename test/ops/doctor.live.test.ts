/**
 * `vigil doctor` on the real kernel (live: root + BPF): the report as JSON, and exit 1 where vigil
 * cannot run. The checks themselves: test/kernel/kernel-features*.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requireLive } from '../support/live.js';
import { probeKernelFeatures } from '../../src/kernel/kernel-features.js';
import { packageRoot } from '../../src/config/paths.js';
import { vigilCommand } from './cli.js';

test('vigil doctor --json: exit 0 here, the same report as JSON', (t) => {
  if (!requireLive(t)) return;
  const [cmd, args] = vigilCommand(['doctor', '--json']);
  const r = spawnSync(cmd, args, { cwd: packageRoot(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    canRun: boolean;
    checks: { id: string; detail: string; meaning: string }[];
    enforcement: string;
  };
  assert.equal(report.canRun, true);
  assert.ok(report.checks.some((c) => c.id === 'prog_lsm'));
  assert.ok(report.checks.some((c) => c.id === 'k8s_metadata'));
  // Module loading: its tracepoints where the kernel has them, else whether the stand-in is on.
  const modules = report.checks.find((c) => c.id === 'module_events');
  const hasTps = existsSync('/sys/kernel/tracing/events/syscalls/sys_enter_finit_module');
  assert.match(modules?.meaning ?? '', hasTps ? /watched/ : /not watched \(sensors.module_load_fallback/);
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
