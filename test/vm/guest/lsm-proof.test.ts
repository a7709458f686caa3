/**
 * The smallest BPF LSM deny, in a guest kernel that allows it: the fixture's lsm/file_open
 * program (test/vm/fixtures/lsm-deny.bpf.c) refuses opening one inode held in its map with EPERM,
 * while another file on the same file system opens; once the program is detached, the first file
 * opens again. This is the path the real bpf/lsm programs take.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfObject } from '../../../src/kernel/bpf-object.js';
import { kernelDev, repoPath, requireGuest } from './guest.js';

const FIXTURE = repoPath('build', 'vm', 'lsm-deny.bpf.o');

/** struct inode_key of the fixture: u64 ino, u32 dev, u32 pad. */
function inodeKey(path: string): Buffer {
  const key = Buffer.alloc(16);
  key.writeBigUInt64LE(statSync(path, { bigint: true }).ino, 0);
  key.writeUInt32LE(kernelDev(path), 8);
  return key;
}

test('lsm/file_open denies one inode with EPERM, other files open, detach lifts it', (t) => {
  if (!requireGuest(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-lsm-'));
  const denied = join(dir, 'denied');
  const allowed = join(dir, 'allowed');
  writeFileSync(denied, 'secret\n');
  writeFileSync(allowed, 'public\n');
  const object = BpfObject.open(FIXTURE);
  try {
    object.load();
    object.mapUpdate('denied_inodes', inodeKey(denied), Buffer.from([1]));
    const link = object.attach('deny_file_open');

    assert.throws(() => readFileSync(denied), { code: 'EPERM' });
    assert.equal(readFileSync(allowed, 'utf8'), 'public\n');
    const count = object.mapLookup('denials', Buffer.alloc(4));
    assert.equal(count?.readBigUInt64LE(0), 1n, 'the program counted exactly one denial');

    object.detach(link);
    assert.equal(readFileSync(denied, 'utf8'), 'secret\n');
  } finally {
    object.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
