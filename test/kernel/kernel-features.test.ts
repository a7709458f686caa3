/**
 * The kernel feature checks without touching the kernel: the host parsers, and the table of
 * checks as a probe object that does not exist leaves it (nothing is loaded or mounted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  effectiveCaps,
  memlockLimit,
  parseKernelRelease,
  parseLockdown,
  PROGRAM_PROBES,
  probeKernelFeatures,
} from '../../src/kernel/kernel-features.js';

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

test('the checks, in order; no probe object: nothing tried, vigil cannot run', async () => {
  const report = await probeKernelFeatures({ probeObject: '/nonexistent/doctor.bpf.o', mount: false });
  const kinds = Object.keys(PROGRAM_PROBES);
  assert.deepEqual(
    report.checks.map((c) => c.id),
    [
      'kernel',
      'btf',
      'privileges',
      'tracefs',
      'lsm_list',
      'lockdown',
      'cgroup2',
      'bpffs',
      'addon',
      'ringbuf',
      ...kinds.map((k) => `prog_${k}`),
      'send_signal',
      'enforcement',
    ],
  );
  assert.deepEqual(Object.keys(report.programs), kinds);
  for (const [kind, why] of Object.entries(report.programs))
    assert.match(why ?? '', /not (built|tried)/, kind);
  assert.match(report.sendSignal ?? '', /not (built|tried)/);
  assert.equal(report.enforcement, 'none');
  assert.equal(report.canRun, false);
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  assert.equal(byId.get('prog_tracepoint')?.status, 'fail');
  assert.equal(byId.get('prog_lsm')?.status, 'warn');
  assert.equal(byId.get('ringbuf')?.status, 'info');
  assert.equal(byId.get('enforcement')?.detail, 'none');
});
