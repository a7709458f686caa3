/**
 * Opens named by what they opened: fd.name is the real path the kernel walked (or, for a file a
 * rule names exactly, the rule's path, found by device and inode), fd.nameraw the path passed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { VigilEvent } from '../../../src/event/types.js';
import { FILE_STR, HDR_F_IO_URING } from '../../../src/kernel/layout.js';
import { Decoder } from '../../../src/sensor/decode/decoder.js';
import { FileIdentities } from '../../../src/sensor/file-identities.js';
import { ProcessTable } from '../../../src/sensor/process-table.js';
import { UserDb } from '../../../src/sensor/users.js';
import { buildRecord, frame, type RecordSpec } from '../records.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-open-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
writeFileSync(join(dir, 'group'), 'root:x:0:\n');

const SHADOW = { dev: 0xfe01, ino: 4242 };
const READ = { acc: 0b0101, success: true, bits: 0 };

function decode(specs: RecordSpec[]): VigilEvent[] {
  const users = new UserDb({ passwd: join(dir, 'passwd'), group: join(dir, 'group'), statIntervalMs: 0 });
  after(() => users.close());
  const table = new ProcessTable({ bootToEpochNs: 0, procRoot: mkdtempSync(join(dir, 'proc-')) });
  // A stat that knows one file: /etc/shadow is (0xfe01, 4242).
  const identities = new FileIdentities((p) => (p === '/etc/shadow' ? SHADOW : null));
  identities.setPaths(new Map([['/etc/shadow', READ]]));
  const dec = new Decoder({ table, users, bootToEpochNs: 0, identities });
  const out: VigilEvent[] = [];
  dec.decodeBatch(frame(specs.map(buildRecord)), out);
  return out;
}

const hdr = (extra: Record<string, number> = {}) => ({ pid: 7, tid: 7, ppid: 1, retval: 3, ...extra });
/** Strings in str_len order: path, dirpath, path2, dirpath2, extra, real. */
const strs = (path: string, real: string, dirpath = ''): string[] => [path, dirpath, '', '', '', real];

test('a successful open: fd.name is the real path, fd.nameraw the path passed', () => {
  const [link, rel] = decode([
    {
      type: 'openat',
      hdr: hdr(),
      payload: { dirfd: -100, ino: 9, dev: 0x801 },
      strings: strs('/tmp/l', '/srv/data'),
    },
    { type: 'open', hdr: hdr(), payload: { ino: 10, dev: 0x801 }, strings: strs('../x/./y', '/opt/x/y') },
  ]);
  assert.equal(link.fd?.name, '/srv/data');
  assert.equal(link.fd?.nameraw, '/tmp/l');
  assert.equal(link.args.name, '/srv/data');
  assert.equal(link.fd?.ino, 9);
  assert.equal(link.fd?.dev, 0x801);
  assert.equal(rel.fd?.name, '/opt/x/y');
  assert.equal(rel.fd?.nameraw, '../x/./y');
});

test('a file a rule names exactly is named by that path, through any link or mount', () => {
  const [hardlink, bind] = decode([
    {
      type: 'openat',
      hdr: hdr(),
      payload: { dirfd: -100, ...SHADOW },
      strings: strs('/var/tmp/h', '/var/tmp/h'),
    },
    {
      type: 'openat',
      hdr: hdr(),
      payload: { dirfd: -100, ...SHADOW },
      strings: strs('/mnt/e/shadow', '/mnt/e/shadow'),
    },
  ]);
  assert.equal(hardlink.fd?.name, '/etc/shadow');
  assert.equal(hardlink.fd?.nameraw, '/var/tmp/h');
  assert.equal(bind.fd?.name, '/etc/shadow');
  // Same inode on another device: another file.
  const [other] = decode([
    {
      type: 'openat',
      hdr: hdr(),
      payload: { dirfd: -100, ino: SHADOW.ino, dev: 1 },
      strings: strs('/x', '/x'),
    },
  ]);
  assert.equal(other.fd?.name, '/x');
});

test('a cut walk falls back to the path passed; a failed open is resolved lexically', () => {
  const [cut, failed] = decode([
    {
      type: 'openat',
      hdr: hdr({ truncated: 1 << FILE_STR.real }),
      payload: { dirfd: -100, ino: 11, dev: 0x801 },
      strings: strs('/a/b/c', '.../z/c'),
    },
    {
      type: 'openat',
      hdr: hdr({ retval: -2 }),
      payload: { dirfd: -100 },
      strings: strs('x//y', '', '/home'),
    },
  ]);
  assert.equal(cut.fd?.name, '/a/b/c');
  assert.equal(failed.fd?.name, '/home/x/y');
  assert.equal(failed.fd?.nameraw, 'x//y');
  assert.equal(failed.fd?.ino, undefined);
});

test('open_by_handle_at and io_uring opens: no path passed, fd.nameraw is fd.name', () => {
  const [byHandle, uring] = decode([
    {
      type: 'open_by_handle_at',
      hdr: hdr(),
      payload: { dirfd: 5, ...SHADOW },
      strings: strs('', '/etc/shadow'),
    },
    {
      type: 'openat',
      hdr: hdr({ flags: HDR_F_IO_URING }),
      payload: { dirfd: -100, ino: 12, dev: 0x801 },
      strings: strs('', '/srv/f'),
    },
  ]);
  assert.equal(byHandle.fd?.name, '/etc/shadow');
  assert.equal(byHandle.fd?.nameraw, undefined);
  assert.equal(byHandle.args.mountfd, 5);
  assert.equal(byHandle.args.fd, 3);
  assert.equal(uring.fd?.name, '/srv/f');
  assert.equal(uring.fd?.io_uring, true);
  assert.equal(uring.type, 'openat');
});
