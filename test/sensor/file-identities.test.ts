/** The rules' exact files by (device, inode): named again when a file is replaced. */
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileIdentities } from '../../src/sensor/file-identities.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-identities-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const need = { acc: 0b0101, success: true, bits: 0 };

test('a hard link is the same file; a file replaced by rename is followed on refresh', () => {
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'a');
  linkSync(secret, join(dir, 'alias'));
  const ids = new FileIdentities();
  ids.setPaths(
    new Map([
      [secret, need],
      [join(dir, 'missing'), need],
    ]),
  );
  const st = statSync(join(dir, 'alias'));
  assert.equal(ids.nameOf(st.dev, st.ino), secret);
  assert.equal(ids.list().length, 1, 'a missing path has no identity');
  assert.equal(ids.refresh(), false, 'nothing changed');

  writeFileSync(join(dir, 'new'), 'b');
  renameSync(join(dir, 'new'), secret);
  assert.equal(ids.refresh(), true);
  const now = statSync(secret);
  assert.equal(ids.nameOf(now.dev, now.ino), secret);
  assert.equal(ids.nameOf(st.dev, st.ino), undefined, 'the old inode is no longer the secret');
});

test('directories a prefix names are identities too, but name nothing', () => {
  const sub = join(dir, 'conf');
  mkdirSync(sub);
  writeFileSync(join(dir, 'plainfile'), 'x');
  const ids = new FileIdentities();
  ids.setPaths(
    new Map(),
    new Map([
      [sub, need],
      [join(dir, 'plainfile'), need],
    ]),
  );
  const st = statSync(sub);
  assert.deepEqual(
    ids.list().map((i) => [i.path, i.dir]),
    [[sub, true]],
    'a prefix on a file is no directory identity',
  );
  assert.equal(ids.nameOf(st.dev, st.ino), undefined);
});
