/**
 * Records of BPF LSM denials (VG_HDR_F_DENIED, retval -EPERM, vg_hdr.deny_rule), as the decoder
 * reads them: the rule id comes with the event, a denied exec describes the program refused and
 * leaves the process table as it was, and a denial is delivered even when its type is not wanted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VigilEvent } from '../../src/event/types.js';
import { Decoder, denialOf } from '../../src/sensor/decode/decoder.js';
import { HDR_F_DENIED, VG_EVT_MAX } from '../../src/kernel/layout.js';
import { ProcessTable } from '../../src/sensor/process-table.js';
import { UserDb } from '../../src/sensor/users.js';
import { buildRecord, frame, type RecordSpec } from '../sensor/records.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-denial-decode-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
writeFileSync(join(dir, 'group'), 'root:x:0:\n');
const OFFSET = 1_700_000_000e9;

function setup(): { table: ProcessTable; run: (specs: RecordSpec[], want?: Uint8Array) => VigilEvent[] } {
  const users = new UserDb({ passwd: join(dir, 'passwd'), group: join(dir, 'group'), statIntervalMs: 0 });
  after(() => users.close());
  const table = new ProcessTable({ bootToEpochNs: OFFSET, procRoot: mkdtempSync(join(dir, 'proc-')) });
  const dec = new Decoder({ table, users, bootToEpochNs: OFFSET });
  return {
    table,
    run: (specs, want) => {
      const out: VigilEvent[] = [];
      dec.decodeBatch(frame(specs.map(buildRecord)), out, want);
      return out;
    },
  };
}

const hdr = (pid: number, ppid: number, extra: Record<string, number | string> = {}) => ({
  pid,
  tid: pid,
  ppid,
  ts_ns: 5e9,
  ...extra,
});

const bash: RecordSpec = {
  type: 'execve',
  hdr: hdr(30, 1, { comm: 'bash' }),
  payload: { argc: 1, start_ns: 4e9, vpid: 30 },
  strings: ['/usr/bin/bash', 'bash', '', '/root', '/'],
};

test('a denied exec: the refused program and argv, the caller kept in the table, the rule id', () => {
  const { table, run } = setup();
  const evs = run([
    bash,
    {
      type: 'execve',
      hdr: hdr(30, 1, { comm: 'bash', retval: -1, flags: HDR_F_DENIED, deny_rule: 7 }),
      payload: { argc: 2, start_ns: 4e9, vpid: 30 },
      strings: ['/tmp/evil', 'evil\0--now\0'],
    },
  ]);
  assert.equal(evs.length, 2);
  const ev = evs[1];
  assert.equal(denialOf(ev), 7);
  assert.equal(denialOf(evs[0]), undefined);
  assert.equal(ev.ret, -1);
  assert.equal(ev.proc.pid, 30);
  assert.equal(ev.proc.exe, '/tmp/evil');
  assert.equal(ev.proc.name, 'evil');
  assert.deepEqual(ev.proc.args, ['evil', '--now']);
  assert.equal(ev.proc.cmdline, 'evil --now');
  assert.equal(ev.proc.cwd, '/root', 'the caller context stays');
  assert.equal(ev.args.res, 'EPERM');
  assert.equal(ev.args.filename, '/tmp/evil');
  const after = table.info(30, {
    tid: 30,
    ppid: 1,
    uid: 0,
    gid: 0,
    euid: 0,
    egid: 0,
    loginuid: -1,
    comm: 'bash',
  });
  assert.equal(after.exe, '/usr/bin/bash', 'a denied exec does not change the process table');
});

test('a denied open and a self-protection denial are delivered whatever is wanted', () => {
  const { run } = setup();
  const want = new Uint8Array(VG_EVT_MAX); // nothing wanted
  const evs = run(
    [
      bash,
      {
        type: 'openat',
        hdr: hdr(30, 1, { comm: 'bash', retval: -1, flags: HDR_F_DENIED, deny_rule: 3 }),
        payload: { fd: -1, dirfd: -100, flags: 0 },
        strings: ['/etc/secret'],
      },
      {
        type: 'bpf',
        hdr: hdr(30, 1, { comm: 'bpftool', retval: -1, flags: HDR_F_DENIED, deny_rule: 0 }),
        payload: { arg: [34, 77, 0, 0] },
      },
      {
        type: 'openat',
        hdr: hdr(30, 1, { comm: 'bash', retval: 3 }),
        payload: { fd: 3, dirfd: -100, flags: 0 },
        strings: ['/etc/hosts'],
      },
    ],
    want,
  );
  assert.deepEqual(
    evs.map((e) => [e.type, denialOf(e)]),
    [
      ['openat', 3],
      ['bpf', 0],
    ],
  );
  assert.equal(evs[0].fd?.name, '/etc/secret');
  assert.equal(evs[0].args.res, 'EPERM');
  assert.equal(evs[1].rawargs.cmd, 34);
});
