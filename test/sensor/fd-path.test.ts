import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePath } from '../../src/sensor/fd-path.js';

test('relative paths join their directory and resolve lexically', () => {
  assert.equal(resolvePath('/etc', 'shadow'), '/etc/shadow');
  assert.equal(resolvePath('/home/a/b', '../../etc/./shadow'), '/home/etc/shadow');
  assert.equal(resolvePath('/', '../../..'), '/');
  assert.equal(resolvePath('/tmp', './x//y/'), '/tmp/x/y');
  assert.equal(resolvePath('/tmp', ''), '/tmp');
  assert.equal(resolvePath('', 'rel'), 'rel');
});

test('absolute paths are kept, or normalised when they need it', () => {
  assert.equal(resolvePath('/ignored', '/etc/shadow'), '/etc/shadow');
  assert.equal(resolvePath('/ignored', '/etc/../etc//shadow'), '/etc/shadow');
  assert.equal(resolvePath('/ignored', '/etc/.'), '/etc');
  assert.equal(resolvePath('/ignored', '/'), '/');
  assert.equal(resolvePath('/ignored', '/a/b/'), '/a/b');
  assert.equal(resolvePath('/ignored', '/a/.hidden/..x'), '/a/.hidden/..x');
});
