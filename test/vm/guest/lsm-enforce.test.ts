/**
 * The real agent enforcing with BPF LSM in a guest kernel that allows it: one `vigil run --enforce`
 * for every check, then one in monitor mode.
 *
 *   exec     a denied program never runs (its output never appears), execve fails with EPERM
 *   open     EPERM, while an allowed program (enforcement.allow.exe) reads the same file
 *   unlink   EPERM, rename EPERM: the file is still there
 *   connect  EPERM to the denied port, another port connects
 *   agent    SIGKILL, SIGTERM and ptrace from another root process refused; its enforcing
 *            programs' links and the sensor's cannot be detached, its policy maps not written
 * Each denial raises exactly one alert of its rule, action `denied`, enforcement `kernel`, with
 * the process that tried; monitor mode lets everything through with `would-deny` alerts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../../../src/event/alert.js';
import { Agent, waitFor } from '../../enforce/agent.js';
import { requireGuest, guestSeries } from './guest.js';

const READY_MS = 150_000;
const ALERT_MS = 60_000;
const MARKER = 'vigil-lsm-marker-ran';
const bpftool = existsSync('/usr/sbin/bpftool') ? '/usr/sbin/bpftool' : 'bpftool';

/** Every operation the rules deny, in one process (its pid names its alerts); exec last. */
const ATTEMPTS_PY = `
import json, os, socket, sys
secret, protected, renamed, deny_port, open_port, deny_exe, marker = sys.argv[1:8]
def errno_of(f):
    try:
        f()
        return 0
    except OSError as e:
        return e.errno
def conn(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", int(port)))
    finally:
        s.close()
out = {"pid": os.getpid()}
out["open"] = errno_of(lambda: open(secret).read())
out["rename"] = errno_of(lambda: os.rename(protected, renamed))
out["unlink"] = errno_of(lambda: os.unlink(protected))
out["connect_denied"] = errno_of(lambda: conn(deny_port))
out["connect_other"] = errno_of(lambda: conn(open_port))
out["exists"] = os.path.exists(protected)
print(json.dumps(out), flush=True)
try:
    os.execv(deny_exe, [deny_exe, marker])
except OSError as e:
    print(json.dumps({"exec": e.errno}), flush=True)
`;

/** ptrace, SIGKILL and SIGTERM aimed at the agent from a process that is not its parent. */
const TAMPER_PY = `
import ctypes, json, os, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
out = {"pid": os.getpid()}
r = libc.ptrace(16, pid, None, None)
out["ptrace"] = ctypes.get_errno() if r != 0 else 0
if r == 0:
    libc.ptrace(17, pid, None, None)
for name, sig in (("kill", 9), ("term", 15)):
    try:
        os.kill(pid, sig)
        out[name] = 0
    except OSError as e:
        out[name] = e.errno
print(json.dumps(out), flush=True)
`;

interface Attempts {
  pid: number;
  open: number;
  rename: number;
  unlink: number;
  connect_denied: number;
  connect_other: number;
  exists: boolean;
  exec?: number;
  stdout: string;
}

const EPERM = 1;
let dir = '';
let servers: Server[] = [];
let denyPort = 0;
let openPort = 0;
const p = (name: string): string => join(dir, name);

function rules(): string {
  return `
- rule: LSM exec
  desc: a named program runs
  condition: evt.type = execve and proc.exepath = ${p('vg-deny-echo')}
  output: exec %proc.exepath %proc.cmdline
  priority: WARNING
  action: deny
- rule: LSM open
  desc: a named file is opened
  condition: evt.type in (open, openat, openat2) and fd.name = ${p('secret')}
  output: open %fd.name by %proc.name
  priority: WARNING
  action: deny
- rule: LSM unlink
  desc: a protected file is removed or renamed
  condition: evt.type in (unlink, unlinkat, rename, renameat, renameat2) and fd.name = ${p('protected')}
  output: '%evt.type %fd.name by %proc.name'
  priority: WARNING
  action: deny
- rule: LSM connect
  desc: connect to one local port
  condition: evt.type = connect and fd.sip = 127.0.0.1 and fd.sport = ${denyPort}
  output: connect %fd.name
  priority: WARNING
  action: deny
`;
}

function config(): string {
  return `enforcement:\n  allow:\n    exe: [${p('vg-allowed-cat')}]\n`;
}

function freshFiles(): void {
  writeFileSync(p('secret'), 'top secret\n');
  writeFileSync(p('protected'), 'keep me\n');
  rmSync(p('renamed'), { force: true });
}

function attempts(): Promise<Attempts> {
  return new Promise((resolve, reject) => {
    const args = ['-c', ATTEMPTS_PY, p('secret'), p('protected'), p('renamed')];
    args.push(String(denyPort), String(openPort), p('vg-deny-echo'), MARKER);
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
      const merged = Object.assign({}, ...lines.map((l) => JSON.parse(l) as object)) as Attempts;
      resolve({ ...merged, stdout });
    });
  });
}

async function listen(): Promise<number> {
  const server = createServer((s) => s.end());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

function ofRule(agent: Agent, rule: string, pid: number): Alert[] {
  return agent.alerts.filter((a) => a.rule === rule && a.event.proc.pid === pid);
}

before(async () => {
  if (guestSeries === null) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-lsm-'));
  copyFileSync('/bin/echo', p('vg-deny-echo'));
  copyFileSync('/bin/cat', p('vg-allowed-cat'));
  execFileSync('chmod', ['755', p('vg-deny-echo'), p('vg-allowed-cat')]);
  denyPort = await listen();
  openPort = await listen();
});

after(() => {
  for (const s of servers) s.close();
  servers = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vigil run --enforce with BPF LSM', () => {
  let agent: Agent | undefined;
  after(async () => {
    await agent?.stop();
  });

  test('exec, open, unlink, rename, connect: EPERM, one denied alert each', async (t) => {
    if (!requireGuest(t)) return;
    freshFiles();
    agent = await Agent.start(rules(), ['--enforce'], config(), READY_MS);
    assert.match(agent.stderr, /BPF LSM programs attached/);

    const r = await attempts();
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.open, EPERM, 'open of the denied file');
    assert.equal(r.rename, EPERM, 'rename of the protected file');
    assert.equal(r.unlink, EPERM, 'unlink of the protected file');
    assert.equal(r.exists, true, 'the protected file is still there');
    assert.equal(r.connect_denied, EPERM, 'connect to the denied port');
    assert.equal(r.connect_other, 0, 'connect to another port');
    assert.equal(r.exec, EPERM, 'execve of the denied program');
    assert.doesNotMatch(r.stdout, new RegExp(MARKER), 'the denied program never ran');

    const allowed = spawnSync(p('vg-allowed-cat'), [p('secret')], { encoding: 'utf8' });
    assert.equal(allowed.stdout, 'top secret\n', 'an allowed program reads the file');

    const exec = await agent.alertFor('LSM exec', r.pid, 'execve', ALERT_MS);
    assert.equal(exec.event.proc.exe, p('vg-deny-echo'));
    assert.deepEqual(exec.event.proc.args, [p('vg-deny-echo'), MARKER]);
    assert.equal(exec.event.proc.ppid, process.pid);
    assert.ok(
      exec.event.proc.ancestors?.some((a) => a.pid === process.pid),
      'the parent chain',
    );
    const open = await agent.alertFor('LSM open', r.pid, undefined, ALERT_MS);
    assert.equal(open.event.fd?.name, p('secret'));
    const unlink = await agent.alertFor('LSM unlink', r.pid, 'unlink', ALERT_MS);
    const rename = await agent.alertFor('LSM unlink', r.pid, 'rename', ALERT_MS);
    assert.equal(rename.event.fd2?.name, p('renamed'));
    const connect = await agent.alertFor('LSM connect', r.pid, 'connect', ALERT_MS);
    for (const a of [exec, open, unlink, rename, connect]) {
      assert.equal(a.action, 'denied', `${a.rule} ${a.event.type}`);
      assert.equal(a.enforcement?.mode, 'kernel', `${a.rule} ${a.event.type}`);
      assert.equal(a.event.ret, -EPERM);
    }
    // One guest CPU: the ring is in time order, so the exec alert came after every other record.
    assert.equal(ofRule(agent, 'LSM open', r.pid).length, 1, 'one alert for the denied open');
    assert.equal(ofRule(agent, 'LSM unlink', r.pid).length, 2, 'one for the unlink, one for the rename');
    assert.equal(ofRule(agent, 'LSM exec', r.pid).length, 1);
    const reader = agent.alerts.filter(
      (a) => a.rule === 'LSM open' && a.event.proc.exe === p('vg-allowed-cat'),
    );
    for (const a of reader) assert.equal(a.enforcement?.mode, 'allowed');
  });

  test('the agent cannot be killed, ptraced or have its links detached by another root process', async (t) => {
    if (!requireGuest(t)) return;
    assert.ok(agent, 'the agent of the test before runs');
    const tamper = spawnSync('python3', ['-c', TAMPER_PY, String(agent.pid)], { encoding: 'utf8' });
    const r = JSON.parse(tamper.stdout) as { pid: number; ptrace: number; kill: number; term: number };
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.ptrace, EPERM, 'ptrace attach');
    assert.equal(r.kill, EPERM, 'SIGKILL');
    assert.equal(r.term, EPERM, 'SIGTERM');
    assert.equal(agent.running, true);
    // The always-on tampering rule reads the refused calls' own records: ptrace, then the signals.
    const ptrace = await agent.alertFor('Agent tampering', r.pid, 'ptrace', ALERT_MS);
    assert.equal(ptrace.event.ret, -EPERM, 'the ptrace alert says it was refused');
    const signals = (): Alert[] =>
      agent!.alerts.filter(
        (a) => a.rule === 'Agent tampering' && a.event.type === 'kill' && a.event.proc.pid === r.pid,
      );
    await waitFor(
      () => signals().length >= 2,
      'Agent tampering alerts for SIGKILL and SIGTERM',
      () => '',
      ALERT_MS,
    );
    assert.deepEqual(
      signals().map((a) => a.event.ret),
      [-EPERM, -EPERM],
      'SIGKILL and SIGTERM, both refused',
    );

    const links = JSON.parse(execFileSync(bpftool, ['link', 'show', '-j'], { encoding: 'utf8' })) as {
      id: number;
      type: string;
    }[];
    const cgroupLinks = links.filter((l) => l.type === 'cgroup');
    assert.ok(cgroupLinks.length > 0, 'the connect deny programs are attached by links');
    const detach = spawnSync(bpftool, ['link', 'detach', 'id', String(cgroupLinks[0].id)], {
      encoding: 'utf8',
    });
    assert.notEqual(detach.status, 0, 'bpftool link detach fails');
    assert.match(detach.stderr, /not permitted/i);
    const a = await agent.alertFor('vigil agent protected', detach.pid, 'bpf', ALERT_MS);
    assert.equal(a.action, 'denied');
    assert.equal(a.priority, 'Critical');

    // Still enforcing: the connect deny holds (the files are as the first test left them).
    const again = await attempts();
    assert.equal(again.connect_denied, EPERM);
    assert.equal(agent.running, true);
  });

  test("the sensor's links and the policy maps cannot be changed by another root process", async (t) => {
    if (!requireGuest(t)) return;
    assert.ok(agent, 'the agent of the test before runs');
    const links = JSON.parse(execFileSync(bpftool, ['link', 'show', '-j'], { encoding: 'utf8' })) as {
      id: number;
      type: string;
    }[];
    // tp_btf links are the sensor's (sched_process_exec...): nothing else attaches any here.
    const sensorLink = links.find((l) => l.type === 'tracing');
    assert.ok(sensorLink, `a tracing link of the sensor: ${JSON.stringify(links)}`);
    const detach = spawnSync(bpftool, ['link', 'detach', 'id', String(sensorLink.id)], { encoding: 'utf8' });
    assert.notEqual(detach.status, 0, 'bpftool link detach of a sensor link fails');
    assert.match(detach.stderr, /not permitted/i);
    const d = await agent.alertFor('vigil agent protected', detach.pid, 'bpf', ALERT_MS);
    assert.equal(d.action, 'denied');

    const maps = JSON.parse(execFileSync(bpftool, ['map', 'show', '-j'], { encoding: 'utf8' })) as {
      id: number;
      name?: string;
      bytes_value: number;
    }[];
    const cfg = maps.find((m) => m.name === 'vg_enf_cfg');
    assert.ok(cfg, 'the policy config map is listed (reading stays allowed)');
    // A value of the map's own size: the write must fail for its writer, not for its length.
    const zeros = Array<string>(cfg.bytes_value).fill('0');
    const update = spawnSync(
      bpftool,
      ['map', 'update', 'id', String(cfg.id), 'key', '0', '0', '0', '0', 'value', ...zeros],
      { encoding: 'utf8' },
    );
    assert.notEqual(update.status, 0, 'bpftool map update of the policy fails');
    assert.match(update.stderr, /not permitted/i);
    const p = await agent.alertFor('vigil agent protected', update.pid, 'bpf', ALERT_MS);
    assert.equal(p.event.rawargs.cmd, 2, 'BPF_MAP_UPDATE_ELEM');
    const tamper = await agent.alertFor('Agent tampering', update.pid, 'bpf', ALERT_MS);
    assert.equal(tamper.event.ret, -EPERM, 'the tampering alert says it was refused');
    // Still enforcing with the policy as it was.
    const again = await attempts();
    assert.equal(again.connect_denied, EPERM);
  });

  test('stopped by its parent, it leaves nothing attached', async (t) => {
    if (!requireGuest(t)) return;
    assert.ok(agent, 'the agent of the test before runs');
    assert.equal(await agent.stop(), 0);
    agent = undefined;
    const links = JSON.parse(execFileSync(bpftool, ['link', 'show', '-j'], { encoding: 'utf8' })) as {
      type: string;
    }[];
    assert.deepEqual(
      links.filter((l) => l.type === 'cgroup' || l.type === 'tracing'),
      [],
    );
    freshFiles();
    const r = await attempts();
    assert.equal(r.open, 0);
    assert.equal(r.connect_denied, 0);
  });
});

describe('vigil run without --enforce (monitor mode)', () => {
  let agent: Agent | undefined;
  after(async () => {
    await agent?.stop();
  });

  test('everything goes through, with would-deny alerts', async (t) => {
    if (!requireGuest(t)) return;
    freshFiles();
    agent = await Agent.start(rules(), [], config(), READY_MS);
    const r = await attempts();
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.open, 0);
    assert.equal(r.rename, 0);
    assert.equal(r.unlink, 2, 'renamed away before');
    assert.equal(r.connect_denied, 0);
    assert.match(r.stdout, new RegExp(MARKER), 'the program ran');
    for (const [rule, type] of [
      ['LSM exec', 'execve'],
      ['LSM open', 'openat'],
      ['LSM unlink', 'rename'],
      ['LSM connect', 'connect'],
    ]) {
      const a = await agent.alertFor(rule, r.pid, type, ALERT_MS);
      assert.equal(a.action, 'would-deny', rule);
    }
  });
});
