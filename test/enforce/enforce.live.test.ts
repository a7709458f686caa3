/**
 * Enforcement on the real kernel, through a real `vigil run`: kill at exec (the program prints
 * nothing), kill of a file's reader, connect denied with EPERM, a rule too broad for the kernel
 * killed from user space (and labelled so); benign twins untouched; monitor mode lets all of
 * them through with would-* alerts. Stopping the agent removes every enforcing program.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { liveUnavailable, requireLive } from '../support/live.js';
import { cgroup2Root } from '../../src/enforce/enforcer.js';
import { Agent, runChild, type Ran } from './agent.js';

/** python3 -c SOCKET_PY connect|bind PORT: "connected" / "bound", or the errno. */
const SOCKET_PY = `
import socket, sys
op, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
try:
    getattr(s, op)(("127.0.0.1", port))
    print("connected" if op == "connect" else "bound")
except OSError as e:
    print("errno", e.errno)
`;

const socketOp = (op: 'connect' | 'bind', port: number): Promise<Ran> =>
  runChild('/usr/bin/python3', ['-c', SOCKET_PY, op, String(port)]);

const tag = randomBytes(4).toString('hex');
let dir = '';
const killExe = (): string => join(dir, `vg-kill-${tag}`);
const twinExe = (): string => join(dir, `vg-twin-${tag}`);
const slowExe = (): string => join(dir, `vgufb${tag}`);
const secret = (): string => join(dir, `secret-${tag}`);
const other = (): string => join(dir, `other-${tag}`);
const servers: Server[] = [];
let denyPort = 0;
let openPort = 0;
let bindPort = 0;

function rules(): string {
  return `
- rule: Enforce test exec
  desc: a named binary runs
  condition: evt.type = execve and proc.exepath = ${killExe()}
  output: exec %proc.exepath
  priority: WARNING
  action: kill
- rule: Enforce test read
  desc: a named file is opened
  condition: evt.type in (open, openat, openat2) and fd.name = ${secret()}
  output: open %fd.name
  priority: WARNING
  action: kill
- rule: Enforce test connect
  desc: connect to one local port
  condition: evt.type = connect and fd.sip = 127.0.0.1 and fd.sport = ${denyPort}
  output: connect %fd.name
  priority: WARNING
  action: deny
- rule: Enforce test bind
  desc: a server binds one local port
  condition: evt.type = bind and fd.sport = ${bindPort} and fd.l4proto = tcp
  output: bind %fd.name
  priority: WARNING
  action: deny
- rule: Enforce test broad
  desc: a command line mentions the tag (the kernel cannot check icontains)
  condition: evt.type = execve and proc.cmdline icontains vgufb${tag}
  output: exec %proc.cmdline
  priority: WARNING
  action: kill
`;
}

async function listen(): Promise<number> {
  const s = createServer((c) => c.end());
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** A port nothing listens on (bound once, then closed). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  await new Promise((r) => s.close(r));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/**
 * Deny programs attached to the cgroup v2 root. Other helpers
 * load sensors on this machine at the same time, so the check is by name, not by program count.
 */
function denyPrograms(): string[] {
  const root = cgroup2Root()!;
  const out = execFileSync('bpftool', ['-j', 'cgroup', 'show', root], { encoding: 'utf8' });
  const progs = JSON.parse(out.trim() || '[]') as { name: string }[];
  return progs.map((p) => p.name).filter((n) => n.startsWith('vg_deny'));
}

before(async () => {
  if (liveUnavailable() !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-enforce-'));
  copyFileSync('/bin/echo', killExe());
  copyFileSync('/bin/echo', twinExe());
  copyFileSync('/bin/sleep', slowExe());
  execFileSync('chmod', ['755', killExe(), twinExe(), slowExe()]);
  writeFileSync(secret(), 'secret\n');
  writeFileSync(other(), 'other\n');
  denyPort = await listen();
  openPort = await listen();
  bindPort = await freePort();
});

after(() => {
  for (const s of servers) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('enforcement on (--enforce)', () => {
  let agent: Agent | undefined;
  before(async () => {
    if (liveUnavailable() !== null) return;
    assert.deepEqual(denyPrograms(), [], 'a deny program was attached before the test');
    agent = await Agent.start(rules(), ['--enforce']);
  });
  after(async () => {
    await agent?.stop();
  });

  test('exec of the named binary is killed before it prints anything; its twin runs', async (t) => {
    if (!requireLive(t)) return;
    const twin = await runChild(twinExe(), ['hello']);
    assert.deepEqual([twin.code, twin.stdout], [0, 'hello\n']);
    const r = await runChild(killExe(), ['hello']);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, '');
    const a = await agent!.alertFor('Enforce test exec', r.pid);
    assert.equal(a.action, 'killed');
    assert.equal(a.enforcement?.mode, 'kernel');
  });

  test('the reader of the named file is killed before reading it; another file reads fine', async (t) => {
    if (!requireLive(t)) return;
    const ok = await runChild('/bin/cat', [other()]);
    assert.deepEqual([ok.code, ok.stdout], [0, 'other\n']);
    const r = await runChild('/bin/cat', [secret()]);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, '');
    const a = await agent!.alertFor('Enforce test read', r.pid);
    assert.equal(a.action, 'killed');
    assert.equal(a.enforcement?.mode, 'kernel');
  });

  test('connect to the denied port fails with EPERM; another port connects', async (t) => {
    if (!requireLive(t)) return;
    const ok = await socketOp('connect', openPort);
    assert.equal(ok.stdout, 'connected\n');
    const r = await socketOp('connect', denyPort);
    assert.equal(r.stdout, 'errno 1\n');
    const a = await agent!.alertFor('Enforce test connect', r.pid);
    assert.equal(a.action, 'denied');
    assert.equal(a.enforcement?.mode, 'kernel');
  });

  test('bind of the denied port fails with EPERM; another port binds', async (t) => {
    if (!requireLive(t)) return;
    const ok = await socketOp('bind', 0);
    assert.equal(ok.stdout, 'bound\n');
    const r = await socketOp('bind', bindPort);
    assert.equal(r.stdout, 'errno 1\n');
    const a = await agent!.alertFor('Enforce test bind', r.pid);
    assert.equal(a.action, 'denied');
    assert.deepEqual(a.enforcement, { mode: 'kernel', class: 'kernel-deny' });
  });

  test('a rule too broad for the kernel is enforced from user space, and says so', async (t) => {
    if (!requireLive(t)) return;
    const twin = await runChild('/bin/sleep', ['0.1']);
    assert.equal(twin.code, 0);
    const r = await runChild(slowExe(), ['60']);
    assert.equal(r.signal, 'SIGKILL');
    const a = await agent!.alertFor('Enforce test broad', r.pid);
    assert.equal(a.action, 'killed');
    assert.equal(a.enforcement?.mode, 'userspace');
    assert.equal(a.enforcement?.outcome, 'killed');
    assert.match(a.enforcement?.reason ?? '', /proc\.cmdline/);
  });

  test('a ptrace aimed at the agent raises the Agent tampering alert', async (t) => {
    if (!requireLive(t)) return;
    // PTRACE_PEEKUSER without attaching: it fails (ESRCH), the attempt is still reported.
    const code = `import ctypes; print(ctypes.CDLL(None).ptrace(3, ${agent!.pid}, 0, 0))`;
    const r = await runChild('/usr/bin/python3', ['-c', code]);
    const a = await agent!.alertFor('Agent tampering', r.pid);
    assert.equal(a.priority, 'Critical');
    assert.equal(a.event.rawargs.pid, agent!.pid);
  });

  test('stopping the agent removes every enforcing program', async (t) => {
    if (!requireLive(t)) return;
    assert.deepEqual(denyPrograms().sort(), [
      'vg_deny_bind4',
      'vg_deny_bind6',
      'vg_deny_connect4',
      'vg_deny_connect6',
    ]);
    assert.equal(await agent!.stop(), 0);
    agent = undefined;
    assert.deepEqual(denyPrograms(), []);
    const r = await runChild(killExe(), ['hello']);
    assert.deepEqual([r.code, r.stdout], [0, 'hello\n']);
  });
});

describe('monitor mode (no --enforce)', () => {
  let agent: Agent | undefined;
  before(async () => {
    if (liveUnavailable() !== null) return;
    agent = await Agent.start(rules(), []);
  });
  after(async () => {
    await agent?.stop();
  });

  test('everything goes through, with would-kill / would-deny alerts', async (t) => {
    if (!requireLive(t)) return;
    const ex = await runChild(killExe(), ['hello']);
    assert.deepEqual([ex.code, ex.stdout], [0, 'hello\n']);
    const rd = await runChild('/bin/cat', [secret()]);
    assert.deepEqual([rd.code, rd.stdout], [0, 'secret\n']);
    const cn = await socketOp('connect', denyPort);
    assert.equal(cn.stdout, 'connected\n');
    const bd = await socketOp('bind', bindPort);
    assert.equal(bd.stdout, 'bound\n');
    const sl = await runChild(slowExe(), ['0.1']);
    assert.equal(sl.code, 0);
    const expect: [string, number, string][] = [
      ['Enforce test exec', ex.pid, 'would-kill'],
      ['Enforce test read', rd.pid, 'would-kill'],
      ['Enforce test connect', cn.pid, 'would-deny'],
      ['Enforce test bind', bd.pid, 'would-deny'],
      ['Enforce test broad', sl.pid, 'would-kill'],
    ];
    for (const [rule, pid, action] of expect) {
      const a = await agent!.alertFor(rule, pid);
      assert.equal(a.action, action, rule);
      assert.equal(a.enforcement?.mode, 'monitor');
    }
  });
});
