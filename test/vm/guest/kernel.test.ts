/**
 * The guest kernel as vigil sees it: the kernel the harness meant to boot, BTF, BPF LSM in the
 * active LSM list and enabled in the build, and `vigil doctor`'s probes finding LSM and fentry
 * programs usable, so enforcement picks the LSM path (on the CI host it picks the kill fallback).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { probeKernelFeatures } from '../../../src/kernel/kernel-features.js';
import { formatReport } from '../../../src/cli/doctor.js';
import { guestSeries, requireGuest } from './guest.js';

/** CONFIG_X values from a kernel config file. */
function kernelConfig(text: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const m of text.matchAll(/^(CONFIG_\w+)=(.*)$/gm)) config.set(m[1], m[2]);
  return config;
}

test('guest kernel: the release booted, BTF, bpf in the active LSMs', (t) => {
  if (!requireGuest(t)) return;
  assert.equal(release(), process.env.VIGIL_VM_RELEASE);
  assert.ok(release().startsWith(`${guestSeries}.`), `${release()} is a ${guestSeries} kernel`);
  assert.ok(existsSync('/sys/kernel/btf/vmlinux'), 'BTF at /sys/kernel/btf/vmlinux');
  const lsm = readFileSync('/sys/kernel/security/lsm', 'utf8').trim();
  t.diagnostic(`lsm=${lsm}`);
  assert.ok(lsm.split(',').includes('bpf'), `bpf is an active LSM: ${lsm}`);
  const lockdown = readFileSync('/sys/kernel/security/lockdown', 'utf8').trim();
  t.diagnostic(`lockdown: ${lockdown}`);

  const config = kernelConfig(readFileSync(process.env.VIGIL_VM_KERNEL_CONFIG ?? '', 'utf8'));
  for (const option of ['CONFIG_BPF_LSM', 'CONFIG_DEBUG_INFO_BTF', 'CONFIG_BPF_SYSCALL', 'CONFIG_BPF_JIT']) {
    assert.equal(config.get(option), 'y', `${option}=y`);
  }
  const others = [
    'CONFIG_KPROBES',
    'CONFIG_FPROBE',
    'CONFIG_BPF_KPROBE_OVERRIDE',
    'CONFIG_FUNCTION_ERROR_INJECTION',
  ];
  t.diagnostic(others.map((o) => `${o}=${config.get(o) ?? 'n'}`).join(' '));
});

test('vigil doctor in the guest: BPF LSM and fentry available, enforcement on the LSM path', async (t) => {
  if (!requireGuest(t)) return;
  const report = await probeKernelFeatures();
  t.diagnostic(formatReport(report).trimEnd());
  assert.equal(report.canRun, true);
  for (const [kind, error] of Object.entries(report.programs)) assert.equal(error, null, `${kind}: ${error}`);
  assert.equal(report.sendSignal, null);
  assert.equal(report.enforcement, 'lsm');
});
