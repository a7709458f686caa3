/**
 * enforcement.allow.exe compares the executable's identity (st_dev, st_ino), not its path: the
 * allowed binary is allowed wherever a process sees it (and as a hard link), while a copy at the
 * same path inside a chroot is not. Unit, as any user; the live kill of the chroot copy is in
 * test/enforce/allow-chroot.live.test.ts.
 */
import assert from 'node:assert/strict';
import { copyFileSync, linkSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ExeAllowList } from '../../src/enforce/exe-identity.js';
import { readProcess } from '../../src/sensor/procfs.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-exe-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the allowed file is allowed: this process's own executable, as /proc shows it", () => {
  const allow = ExeAllowList.resolve([process.execPath]);
  const self = readProcess(process.pid, 0)!;
  assert.ok(self.exe_ino > 0 && self.exe_dev !== undefined);
  assert.equal(allow.match(self)?.path, process.execPath);
});

test('a copy at the allowed path (a chroot) is not; a hard link is; unknown identity is not', () => {
  const real = join(dir, 'init');
  copyFileSync('/bin/true', real);
  const allow = ExeAllowList.resolve([real, join(dir, 'missing')]);
  assert.deepEqual(allow.missing, [join(dir, 'missing')]);
  const id = allow.identities[0];
  // What the exec record of the real file carries.
  assert.ok(allow.match({ exe_dev: id.dev, exe_ino: Number(id.ino) }));
  // A copy placed at <chroot>/sbin/init: the process's exe path reads /sbin/init, its file is another.
  const copy = join(dir, 'chroot-init');
  copyFileSync(real, copy);
  const copyId = ExeAllowList.resolve([copy]).identities[0];
  assert.equal(allow.match({ exe_dev: copyId.dev, exe_ino: Number(copyId.ino) }), undefined);
  // A hard link is the same file.
  const hard = join(dir, 'hard');
  linkSync(real, hard);
  const hardId = ExeAllowList.resolve([hard]).identities[0];
  assert.ok(allow.match({ exe_dev: hardId.dev, exe_ino: Number(hardId.ino) }));
  // An event from before vigil carried exe_dev: nothing to compare, not allowed.
  assert.equal(allow.match({ exe_dev: undefined, exe_ino: Number(id.ino) }), undefined);
});

test('the real /sbin/init stays allowed: the file it names, through its symlink', (t) => {
  const allow = ExeAllowList.resolve(['/sbin/init']);
  if (allow.identities.length === 0) return t.skip('no /sbin/init on this system');
  // The exec record of the real init carries the identity of the file the symlink names.
  const st = statSync(realpathSync('/sbin/init'), { bigint: true });
  assert.equal(allow.match({ exe_dev: Number(st.dev), exe_ino: Number(st.ino) })?.path, '/sbin/init');
});
