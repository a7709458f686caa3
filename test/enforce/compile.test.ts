/**
 * Which rules the kernel enforces and which fall back to user space, and why: the kernel must
 * never act more broadly than the rule, so anything it cannot check exactly falls back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planRule, type EnforcementPlan } from '../../src/enforce/compile.js';
import { run as rulesCheck } from '../../src/cli/rules-check.js';

const plan = (condition: string, action: 'kill' | 'deny' = 'kill'): EnforcementPlan =>
  planRule({ name: 'r', action, condition });

function kernel(p: EnforcementPlan): Extract<EnforcementPlan, { mode: 'kernel' }> {
  assert.equal(p.mode, 'kernel', p.mode === 'userspace' ? p.why : '');
  return p as Extract<EnforcementPlan, { mode: 'kernel' }>;
}
function fallback(p: EnforcementPlan, why: RegExp): void {
  assert.equal(p.mode, 'userspace');
  if (p.mode === 'userspace') assert.match(p.why, why);
}

test('exact exec, file and comm conditions compile to string policies', () => {
  assert.deepEqual(kernel(plan('evt.type = execve and proc.exepath = /tmp/x/evil')).policy, {
    kind: 'string',
    types: ['execve'],
    field: 'str0',
    values: ['/tmp/x/evil'],
    uid: undefined,
  });
  assert.deepEqual(
    kernel(plan('evt.type in (open, openat) and fd.name in (/a, "/b c") and user.uid = 1000')).policy,
    {
      kind: 'string',
      types: ['open', 'openat'],
      field: 'str0',
      values: ['/a', '/b c'],
      uid: 1000,
    },
  );
  const p = kernel(plan('evt.type = execve and proc.name = nc', 'deny'));
  assert.equal(p.policy.kind === 'string' && p.policy.field, 'comm');
  assert.match(p.how, /falls back to kill/);
});

test('deny on a path names the BPF LSM hook that refuses it, and the kill fallback', () => {
  const unlink = kernel(plan('evt.type in (unlink, unlinkat) and fd.name = /etc/passwd', 'deny'));
  assert.match(unlink.how, /EPERM from the BPF LSM hook path_unlink before the call/);
  assert.match(unlink.how, /falls back to kill/);
  assert.match(kernel(plan('evt.type = execve and proc.exepath = /x', 'deny')).how, /bprm_check_security/);
  assert.match(kernel(plan('evt.type = chmod and fd.name = /x', 'deny')).how, /no BPF LSM hook checks this/);
  assert.match(
    kernel(plan('evt.type in (open, unlink) and fd.name = /x', 'deny')).how,
    /file_open\/path_unlink/,
  );
});

test('network deny compiles to the cgroup hooks; network kill does not', () => {
  assert.deepEqual(
    kernel(plan('evt.type = connect and fd.sip = 10.0.0.1 and fd.sport = 443', 'deny')).policy,
    {
      kind: 'net',
      hooks: ['connect'],
      addrs: ['10.0.0.1'],
      port: 443,
      proto: undefined,
      uid: undefined,
    },
  );
  fallback(plan('evt.type = connect and fd.sport = 443', 'kill'), /use action: deny/);
  fallback(plan('evt.type = connect and fd.l4proto = tcp', 'deny'), /every connection/);
});

test('anything the kernel cannot check exactly falls back, saying why', () => {
  fallback(plan('proc.name = nc'), /no evt.type/);
  fallback(
    plan('evt.type = execve and proc.cmdline contains nc'),
    /proc\.cmdline is not a field the kernel checks/,
  );
  fallback(plan('evt.type = execve and proc.name startswith n'), /operator 'startswith'/);
  fallback(plan('evt.type = execve and not proc.name = nc'), /'not'/);
  fallback(plan('evt.type = execve and (proc.name = a or proc.name = b)'), /'or'/);
  fallback(plan('evt.type = execve and proc.name in (shell_binaries)'), /may name a list/);
  assert.equal(plan(`evt.type = execve and proc.name in ("nc", "ncat")`).mode, 'kernel');
  fallback(plan('evt.type = execve and spawned_process'), /macro 'spawned_process'/);
  fallback(plan('evt.type = execve and proc.exe = /bin/nc'), /proc\.exe is not/);
  fallback(plan('evt.type = openat and proc.exepath = /bin/cat'), /at exec only/);
  fallback(plan('evt.type = openat and fd.name = relative/path'), /not an absolute path/);
  fallback(plan('evt.type = openat and proc.name = cat and fd.name = /etc/shadow'), /one string per rule/);
  fallback(plan('evt.type = execve and proc.name = averyveryverylongname'), /longer than a comm/);
  fallback(plan('evt.type = execve'), /every process/);
  fallback(plan('evt.type in (execve, ptrace) and proc.name = x'), /no enforcing probe/);
});

test('vigil rules check says, per rule with an action, who enforces it and why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-enforce-check-'));
  try {
    writeFileSync(
      join(dir, 'r.yaml'),
      `
- rule: exact
  desc: d
  condition: evt.type = execve and proc.exepath = /tmp/evil
  output: o
  priority: WARNING
  action: kill
- rule: broad
  desc: d
  condition: evt.type = execve and proc.cmdline contains evil
  output: o
  priority: WARNING
  action: kill
- rule: plain
  desc: d
  condition: evt.type = execve and proc.name = x
  output: o
  priority: WARNING
`,
    );
    const lines: string[] = [];
    assert.equal(
      await rulesCheck({ paths: [join(dir, 'r.yaml')], out: (l) => lines.push(l), err: () => {} }),
      0,
    );
    const enforce = lines.filter((l) => l.startsWith('enforce: '));
    assert.equal(enforce.length, 2);
    assert.match(enforce[0], /^enforce: exact: kill in the kernel: SIGKILL from the probe at exec/);
    assert.match(
      enforce[1],
      /^enforce: broad: kill falls back to user space \(asynchronous\): condition proc\.cmdline/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
