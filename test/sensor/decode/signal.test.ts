/**
 * The signal family and event targets, decoded from records built from the layout: arguments as
 * Falco renders them (evt.arg.sig = SIGTERM), the target the kernel named (or the pid as passed
 * when it named none), and whether the target is the agent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveField } from '../../../src/engine/fields/index.js';
import type { VigilEvent } from '../../../src/event/types.js';
import { signalName } from '../../../src/sensor/decode/signal.js';
import { Decoder } from '../../../src/sensor/decode/decoder.js';
import { ProcessTable } from '../../../src/sensor/process-table.js';
import { UserDb } from '../../../src/sensor/users.js';
import { buildRecord, frame, type RecordSpec } from '../records.js';

const AGENT = 999;
const dir = mkdtempSync(join(tmpdir(), 'vigil-decode-signal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
writeFileSync(join(dir, 'group'), 'root:x:0:\n');

function decode(specs: RecordSpec[]): VigilEvent[] {
  const users = new UserDb({ passwd: join(dir, 'passwd'), group: join(dir, 'group'), statIntervalMs: 0 });
  after(() => users.close());
  const table = new ProcessTable({ bootToEpochNs: 0, procRoot: mkdtempSync(join(dir, 'proc-')) });
  const dec = new Decoder({ table, users, bootToEpochNs: 0, agentPid: AGENT });
  const out: VigilEvent[] = [];
  dec.decodeBatch(frame(specs.map(buildRecord)), out);
  return out.filter((e) => e.type !== 'execve');
}

const hdr = (pid: number, extra: Record<string, number | string> = {}) => ({
  pid,
  tid: pid,
  ppid: 1,
  comm: 'sh',
  ...extra,
});
const exec = (pid: number, exe: string): RecordSpec => ({
  type: 'execve',
  hdr: hdr(pid, { comm: exe.split('/').pop()! }),
  payload: { argc: 1, vpid: pid },
  strings: [exe, exe.split('/').pop()!, '', '/', '/'],
});

test('signal names as Falco renders evt.arg.sig', () => {
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(15), 'SIGTERM');
  assert.equal(signalName(6), 'SIGABRT');
  assert.equal(signalName(0), '0');
  assert.equal(signalName(40), '40');
});

test('kill, tkill, tgkill, pidfd_send_signal: arguments, result and the target the kernel named', () => {
  const [kill, tkill, tgkill, pidfd] = decode([
    exec(71, '/usr/sbin/auditd'),
    {
      type: 'kill',
      hdr: hdr(70),
      payload: { pid: 71, sig: 15, target_tgid: 71, target_tid: 71, targets: 1, target_comm: 'auditd' },
    },
    {
      type: 'tkill',
      hdr: hdr(70),
      payload: { pid: 72, sig: 10, target_tgid: 71, target_tid: 72, targets: 1, target_comm: 'auditd' },
    },
    { type: 'tgkill', hdr: hdr(70, { retval: -3 }), payload: { pid: 80, tid: 81, sig: 2 } },
    {
      type: 'pidfd_send_signal',
      hdr: hdr(70),
      payload: { pid: 4, sig: 9, target_tgid: 71, target_tid: 71, targets: 1, target_comm: 'auditd' },
    },
  ]);
  assert.deepEqual(kill.args, { pid: 71, sig: 'SIGTERM', res: 0 });
  assert.deepEqual(kill.rawargs, { pid: 71, sig: 15, res: 0 });
  assert.deepEqual(kill.target, {
    pid: 71,
    tid: 71,
    name: 'auditd',
    exe: '/usr/sbin/auditd',
    cmdline: 'auditd',
    is_agent: false,
    count: 1,
  });
  assert.deepEqual(tkill.args, { tid: 72, sig: 'SIGUSR1', res: 0 });
  assert.equal(tkill.target?.pid, 71);
  assert.equal(tkill.target?.tid, 72);
  // No such process: no signal generated, the pid as passed names the target.
  assert.deepEqual(tgkill.args, { pid: 80, tid: 81, sig: 'SIGINT', res: 'ESRCH' });
  assert.equal(tgkill.target?.pid, 80);
  assert.equal(tgkill.target?.tid, 81);
  assert.equal(tgkill.target?.exe, '');
  assert.deepEqual(pidfd.args, { pidfd: 4, sig: 'SIGKILL', flags: 0, res: 0 });
  assert.equal(pidfd.target?.name, 'auditd');
});

test('calls aimed at the agent: refused, signal 0, to a group that includes it, ptrace', () => {
  const [refused, probe, all, ptrace, other] = decode([
    exec(AGENT, '/usr/bin/node'),
    { type: 'kill', hdr: hdr(70, { retval: -1 }), payload: { pid: AGENT, sig: 15 } },
    { type: 'kill', hdr: hdr(70), payload: { pid: AGENT, sig: 0 } },
    {
      type: 'kill',
      hdr: hdr(70),
      payload: {
        pid: -1,
        sig: 9,
        target_tgid: 50,
        target_tid: 50,
        targets: 7,
        hit_agent: 1,
        target_comm: 'x',
      },
    },
    { type: 'ptrace', hdr: hdr(70), payload: { arg: [16, AGENT, 0, 0] } },
    { type: 'ptrace', hdr: hdr(70), payload: { arg: [16, 71, 0, 0] } },
  ]);
  assert.equal(refused.args.res, 'EPERM');
  assert.equal(refused.target?.is_agent, true);
  assert.equal(refused.target?.exe, '/usr/bin/node');
  assert.equal(probe.args.sig, '0');
  assert.equal(probe.target?.is_agent, true);
  assert.deepEqual(
    [all.target?.pid, all.target?.is_agent, all.target?.count],
    [AGENT, true, 7],
    'the agent among seven: the agent is the target',
  );
  assert.equal(ptrace.target?.is_agent, true);
  assert.equal(other.target?.is_agent, false);
  const field = (name: string) => resolveField(name, undefined).get;
  assert.equal(field('evt.target.is_agent')(all), true);
  assert.equal(field('evt.target.pid')(all), AGENT);
  assert.equal(field('evt.target.count')(all), 7);
  assert.equal(field('evt.target.exepath')(refused), '/usr/bin/node');
  assert.equal(field('evt.arg.sig')(all), 'SIGKILL');
  assert.equal(field('evt.rawarg.sig')(all), 9);
});

test('a pid passed from another pid namespace names no target on the host', () => {
  const [ev] = decode([
    {
      type: 'execve',
      hdr: hdr(90, { comm: 'sh' }),
      payload: { argc: 1, vpid: 5 },
      strings: ['/bin/sh', 'sh', '', '/', '/docker/' + 'ab'.repeat(32)],
    },
    { type: 'kill', hdr: hdr(90, { retval: -3 }), payload: { pid: AGENT, sig: 15 } },
  ]);
  assert.equal(ev.target, undefined);
  assert.equal(resolveField('evt.target.is_agent', undefined).get(ev), false);
  assert.equal(resolveField('evt.target.pid', undefined).get(ev), undefined);
});
