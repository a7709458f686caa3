/**
 * Which rules the kernel enforces and which fall back to user space, and why: the kernel must
 * never act more broadly than the rule, so anything it cannot check exactly falls back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import { planRule, planRules, type EnforcementPlan } from '../../src/plan/enforcement.js';
import { run as rulesCheck } from '../../src/cli/rules-check.js';
import { run as replay } from '../../src/cli/replay.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import type { Alert } from '../../src/event/alert.js';
import { eventToJson } from '../../src/event/json.js';

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

function ruleYaml(name: string, condition: string, action?: 'kill' | 'deny'): string {
  const act = action === undefined ? '' : `  action: ${action}\n`;
  return `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING\n${act}`;
}

/** Runs `fn` with `yaml` written to a rules file in a fresh directory, removed afterwards. */
async function withRules(yaml: string, fn: (file: string, dir: string) => unknown): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-enforce-plan-'));
  try {
    writeFileSync(join(dir, 'r.yaml'), yaml);
    await fn(join(dir, 'r.yaml'), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

test("Falco's exec idioms compile to the exec kill: execveat is execve, evt.res = SUCCESS holds", () => {
  const p = kernel(plan('evt.type in (execve, execveat) and evt.dir = < and proc.exepath = /tmp/x'));
  assert.deepEqual(p.policy, {
    kind: 'string',
    types: ['execve'],
    field: 'str0',
    values: ['/tmp/x'],
    uid: undefined,
  });
  assert.equal(p.class, 'kernel-exec-kill');
  assert.match(p.how, /at exec/);
  const exe = kernel(plan('evt.type = execveat and evt.res = SUCCESS and proc.exe in (nc, "x y")'));
  assert.deepEqual(exe.policy.kind === 'string' && [exe.policy.field, exe.policy.values], [
    'argv0',
    ['nc', 'x y'],
  ]);
  const parent = kernel(plan('evt.type = execve and proc.pname = vgparent'));
  assert.equal(parent.policy.kind === 'string' && parent.policy.field, 'pcomm');
  assert.equal(kernel(plan('evt.type = openat and fd.name = /x')).class, 'kernel-kill-after');
  assert.equal(kernel(plan('evt.type = openat and fd.name = /x', 'deny')).class, 'kernel-deny');
  assert.equal(kernel(plan('evt.type = connect and fd.sport = 1', 'deny')).class, 'kernel-deny');
  assert.equal(plan('evt.type = execve and proc.cmdline icontains x').class, 'userspace-kill');
});

test('macros are inlined and lists expanded from the rule loader', async () => {
  const yaml =
    '- list: tools\n  items: [nc, ncat]\n' +
    '- macro: spawned_process\n  condition: evt.type in (execve, execveat) and evt.res = SUCCESS\n' +
    '- macro: other\n  condition: proc.cmdline icontains x\n' +
    ruleYaml('by macro', 'spawned_process and proc.name in (tools, socat)', 'kill') +
    ruleYaml('macro not exact', 'spawned_process and proc.name = nc and other', 'kill');
  await withRules(yaml, (file) => {
    const [byMacro, notExact] = planRules(loadRuleset([file]).enabledRules);
    const p = kernel(byMacro);
    assert.deepEqual(p.policy.kind === 'string' && [p.policy.types, p.policy.field, p.policy.values], [
      ['execve'],
      'comm',
      ['nc', 'ncat', 'socat'],
    ]);
    fallback(notExact, /operator .icontains./);
  });
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
  const bind = kernel(plan('evt.type = bind and fd.lport = 8080 and fd.l4proto = tcp', 'deny'));
  assert.deepEqual(bind.policy.kind === 'net' && [bind.policy.hooks, bind.policy.port, bind.policy.proto], [
    ['bind'],
    8080,
    'tcp',
  ]);
  assert.match(bind.how, /cgroup bind program before the address is bound/);
  fallback(plan('evt.type = bind and fd.rport = 8080', 'deny'), /fd\.rport is not the end/);
  fallback(plan('evt.type = connect and fd.lport = 8080', 'deny'), /fd\.lport is not the end/);
  fallback(plan('evt.type = connect and fd.sip = 0.0.0.0', 'deny'), /unspecified address/);
  fallback(plan('evt.type = bind and fd.sport = 0', 'deny'), /one port number/);
  fallback(plan('evt.type = connect and fd.l4proto = tcp', 'deny'), /every connection/);
});

test('anything the kernel cannot check exactly falls back, saying why', () => {
  fallback(plan('proc.name = nc'), /no evt.type/);
  fallback(plan('evt.type = execve and proc.cmdline icontains nc'), /operator .icontains./);
  fallback(plan('evt.type = execve and proc.name startswith n'), /operator 'startswith'/);
  fallback(plan('evt.type = execve and not proc.name = nc'), /'not'/);
  fallback(plan('evt.type = execve and (proc.name = a or proc.name = b)'), /'or'/);
  fallback(plan('evt.type = execve and proc.name in (shell_binaries)'), /may name a list/);
  assert.equal(plan(`evt.type = execve and proc.name in ("nc", "ncat")`).mode, 'kernel');
  fallback(plan('evt.type = execve and spawned_process'), /macro 'spawned_process'/);
  fallback(plan('evt.type = openat and proc.exepath = /bin/cat'), /at exec only/);
  fallback(plan('evt.type = openat and proc.exe = cat'), /proc\.exe is checked by the kernel at exec only/);
  fallback(
    plan('evt.type = openat and proc.pname = bash'),
    /proc\.pname is checked by the kernel at exec only/,
  );
  fallback(plan('evt.type = execve and proc.pname = averyveryverylongname'), /longer than a comm/);
  fallback(plan(`evt.type = execve and proc.exe = "${'a'.repeat(255)}"`), /too long/);
  fallback(plan('evt.type = execve and proc.exe = ""'), /empty value/);
  fallback(plan('evt.type = openat and evt.res = SUCCESS and fd.name = /x'), /at exec only/);
  fallback(plan('evt.type = execve and evt.res = EPERM and proc.name = x'), /only SUCCESS/);
  fallback(plan('evt.type = execve and proc.exe = x and proc.pname = y'), /one string per rule/);
  fallback(plan('evt.type = openat and fd.name = relative/path'), /not an absolute path/);
  fallback(plan('evt.type = openat and proc.name = cat and fd.name = /etc/shadow'), /one string per rule/);
  fallback(plan('evt.type = execve and proc.name = averyveryverylongname'), /longer than a comm/);
  fallback(plan('evt.type = execve'), /every process/);
  fallback(plan('evt.type in (execve, ptrace) and proc.name = x'), /no enforcing probe/);
});

test('vigil rules check says, per rule with an action, who enforces it and why', async () => {
  const yaml =
    ruleYaml('exact', 'evt.type = execve and proc.exepath = /tmp/evil', 'kill') +
    ruleYaml('broad', 'evt.type = execve and proc.cmdline icontains evil', 'kill') +
    ruleYaml('plain', 'evt.type = execve and proc.name = x');
  await withRules(yaml, async (file) => {
    const lines: string[] = [];
    assert.equal(await rulesCheck({ paths: [file], out: (l) => lines.push(l), err: () => {} }), 0);
    const enforce = lines.filter((l) => l.startsWith('enforce: '));
    assert.equal(enforce.length, 2);
    assert.match(
      enforce[0],
      /^enforce: exact: kill: killed in the kernel at exec: SIGKILL from the probe at exec/,
    );
    assert.match(
      enforce[1],
      /^enforce: broad: kill: killed from user space after the fact: condition proc\.cmdline/,
    );
  });
});

test('vigil replay gives each rule with an action the verdict vigil run would: would-* and its class', async () => {
  const yaml =
    ruleYaml('exact', 'evt.type in (execve, execveat) and proc.exepath = /tmp/evil', 'kill') +
    ruleYaml('broad', 'evt.type = execve and proc.cmdline icontains evil', 'kill');
  await withRules(yaml, async (file, dir) => {
    // (rule_matching is first, as in Falco: one alert per event)
    const evs = [
      sampleEvent({ type: 'execve', proc: { exe: '/tmp/evil', args: ['evil', '-x'] } }),
      sampleEvent({ type: 'execve', proc: { exe: '/bin/cat', args: ['cat', 'evil'] } }),
    ];
    writeFileSync(join(dir, 'e.jsonl'), evs.map((e) => `${eventToJson(e)}\n`).join(''));
    const lines: string[] = [];
    const code = await replay({
      file: join(dir, 'e.jsonl'),
      rules: [file],
      out: (l) => lines.push(l),
      err: () => {},
    });
    assert.equal(code, 0);
    const got = lines.map((l) => JSON.parse(l) as Alert).map((a) => [a.rule, a.action, a.enforcement]);
    assert.deepEqual(got, [
      ['exact', 'would-kill', { mode: 'monitor', class: 'kernel-exec-kill' }],
      ['broad', 'would-kill', { mode: 'monitor', class: 'userspace-kill' }],
    ]);
  });
});

test('the parent exe path and the command line (prefix, contains, exact) compile to exec kills', () => {
  const pexe = kernel(plan('evt.type in (execve, execveat) and proc.pexepath = /usr/bin/vgparent'));
  assert.equal(pexe.class, 'kernel-exec-kill');
  assert.deepEqual(pexe.policy, {
    kind: 'string',
    types: ['execve'],
    field: 'pexe',
    values: ['/usr/bin/vgparent'],
    uid: undefined,
  });
  const text = (cond: string): unknown => {
    const p = kernel(plan(`evt.type = execve and ${cond}`)).policy;
    return p.kind === 'string' && [p.field, p.match, p.values];
  };
  assert.deepEqual(text('proc.cmdline startswith "nc -l"'), ['cmdline', 'prefix', ['nc -l']]);
  assert.deepEqual(text('proc.cmdline contains "--miner"'), ['cmdline', 'contains', ['--miner']]);
  assert.deepEqual(text('proc.args contains stratum'), ['args', 'contains', ['stratum']]);
  assert.deepEqual(text('proc.args in ("-e x", "-c y")'), ['args', 'exact', ['-e x', '-c y']]);
  assert.deepEqual(text('proc.cmdline = "sh -c id"'), ['cmdline', 'exact', ['sh -c id']]);
});

test('command-line and parent-path atoms the kernel cannot decide exactly fall back', () => {
  fallback(plan('evt.type = openat and proc.cmdline contains x'), /at exec only/);
  fallback(plan('evt.type = execve and proc.cmdline contains "caf\u00e9"'), /printable ASCII/);
  fallback(plan(`evt.type = execve and proc.args startswith "${'a'.repeat(248)}"`), /too long/);
  fallback(plan('evt.type = execve and proc.cmdline endswith x'), /operator 'endswith'/);
  fallback(plan('evt.type = execve and proc.cmdline contains x and proc.name = y'), /one string per rule/);
  fallback(plan('evt.type = execve and proc.pexepath = bash'), /not an absolute path/);
  fallback(plan('evt.type = execve and proc.pexepath startswith /usr'), /operator 'startswith'/);
  fallback(plan('evt.type = execve and container.id = abcdef012345'), /container\.id is not a field/);
});
