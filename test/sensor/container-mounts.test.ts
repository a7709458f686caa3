/**
 * A container's mounts from its mountinfo and the host's (src/sensor/container-mounts.ts): real
 * mountinfo lines, as the kernel writes them, in a procfs-shaped directory the test makes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseMountinfo } from '../../src/kernel/mountinfo.js';
import { ContainerMounts, containerMounts } from '../../src/sensor/container-mounts.js';

const HOST = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '24 22 8:17 / /data rw,relatime shared:2 - ext4 /dev/sdb1 rw',
  '25 22 0:45 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/l',
].join('\n');

/** A container: its own root and procfs, host /etc read-only, host / and a subdirectory of /data. */
const CONTAINER = [
  '600 500 0:45 / / rw,relatime master:9 - overlay overlay rw,lowerdir=/l',
  '601 600 0:60 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  '602 600 8:1 /etc /host/etc ro,relatime - ext4 /dev/sda1 rw',
  '603 600 8:1 / /host/root rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '604 600 8:17 /app/data /srv/my\\040data rw,relatime - ext4 /dev/sdb1 rw',
].join('\n');

describe('container mounts', () => {
  it('parses mountinfo, octal escapes decoded', () => {
    const m = parseMountinfo(CONTAINER);
    assert.equal(m.length, 5);
    assert.deepEqual(m[4], {
      dev: '8:17',
      root: '/app/data',
      mountPoint: '/srv/my data',
      options: 'rw,relatime',
      optional: [],
      fsType: 'ext4',
    });
  });

  it('names the host path of each bind mount, without the container root and its own filesystems', () => {
    assert.deepEqual(containerMounts(parseMountinfo(CONTAINER), parseMountinfo(HOST)), [
      { source: '/etc', dest: '/host/etc', mode: 'ro,relatime', rdwr: false, propagation: 'private' },
      { source: '/', dest: '/host/root', mode: 'rw,relatime', rdwr: true, propagation: 'shared' },
      {
        source: '/data/app/data',
        dest: '/srv/my data',
        mode: 'rw,relatime',
        rdwr: true,
        propagation: 'private',
      },
    ]);
  });

  it("a namespace copied from the host's has no mounts of its own", () => {
    const copy = HOST.replace(/shared:\d+/g, '');
    assert.deepEqual(containerMounts(parseMountinfo(copy), parseMountinfo(HOST)), []);
  });

  it('reads /proc/PID/mountinfo once per mount namespace, and nothing for a process gone', () => {
    const proc = mkdtempSync(join(tmpdir(), 'vigil-mounts-'));
    after(() => rmSync(proc, { recursive: true, force: true }));
    for (const [pid, text, ns] of [
      ['1', HOST, 'mnt:[4026531841]'],
      ['77', CONTAINER, 'mnt:[4026532999]'],
    ]) {
      mkdirSync(join(proc, pid, 'ns'), { recursive: true });
      writeFileSync(join(proc, pid, 'mountinfo'), text);
      symlinkSync(ns, join(proc, pid, 'ns', 'mnt'));
    }
    const mounts = new ContainerMounts({ proc, now: () => 1000 });
    const first = mounts.of(77);
    assert.equal(first?.length, 3);
    writeFileSync(join(proc, '77', 'mountinfo'), '');
    assert.equal(mounts.of(77), first, 'cached for the namespace');
    assert.equal(mounts.of(78), undefined);
  });
});
