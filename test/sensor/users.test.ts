import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserDb } from '../../src/sensor/users.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const passwd = join(dir, 'passwd');
const group = join(dir, 'group');

function writeReplacing(path: string, text: string): void {
  // As useradd/vipw do: write a new file, rename it over the old one.
  writeFileSync(`${path}+`, text);
  renameSync(`${path}+`, path);
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(25);
}

test('names, home and shell from passwd and group; <NA> for unknown ids', () => {
  writeFileSync(
    passwd,
    'root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000:Alice:/home/alice:/bin/zsh\nbad line\n',
  );
  writeFileSync(group, 'root:x:0:\nstaff:x:50:alice\n');
  const db = new UserDb({ passwd, group, statIntervalMs: 0 });
  try {
    assert.equal(db.userName(0), 'root');
    assert.deepEqual({ ...db.user(1000) }, { name: 'alice', homedir: '/home/alice', shell: '/bin/zsh' });
    assert.equal(db.userName(4242), '<NA>');
    assert.equal(db.groupName(50), 'staff');
    assert.equal(db.groupName(4242), '<NA>');
  } finally {
    db.close();
  }
});

test('a user added by renaming a new passwd into place is seen', async () => {
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(group, 'root:x:0:\n');
  const db = new UserDb({ passwd, group, statIntervalMs: 0 });
  try {
    assert.equal(db.userName(1001), '<NA>');
    const gen = db.generation;
    writeReplacing(passwd, 'root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n');
    writeReplacing(group, 'root:x:0:\nbob:x:1001:\n');
    await until(() => db.userName(1001) === 'bob' && db.groupName(1001) === 'bob');
    assert.equal(db.userName(1001), 'bob');
    assert.equal(db.groupName(1001), 'bob');
    assert.ok(db.generation > gen);
  } finally {
    db.close();
  }
});

test('the periodic stat check notices a change too', async () => {
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(group, 'root:x:0:\n');
  const polled = new UserDb({ passwd, group, statIntervalMs: 20 });
  try {
    assert.equal(polled.userName(7), '<NA>');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\nseven:x:7:7::/:/bin/false\n');
    await until(() => polled.userName(7) === 'seven');
    assert.equal(polled.userName(7), 'seven');
  } finally {
    polled.close();
  }
});
