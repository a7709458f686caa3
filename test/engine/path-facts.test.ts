import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathComponents, pathDirectory, pathFilename } from '../../src/engine/fields/path-facts.js';

test('path facts: components, directory and file name as Falco derives them', () => {
  assert.deepEqual(pathComponents('/var//run/'), ['var', 'run']);
  assert.deepEqual(pathComponents('/'), []);
  assert.equal(pathDirectory('/etc/shadow'), '/etc');
  assert.equal(pathDirectory('/shadow'), '/');
  assert.equal(pathDirectory('shadow'), undefined);
  assert.equal(pathFilename('/etc/shadow'), 'shadow');
  assert.equal(pathFilename('/etc/'), '');
  assert.equal(pathFilename('shadow'), 'shadow');
});

test('path facts: the same answers from the table, from new string objects, past its bound and for long paths', () => {
  const long = `/${'d/'.repeat(400)}file`;
  for (let round = 0; round < 2; round++) {
    // More distinct paths than the table holds: it is cleared and refilled, answers unchanged.
    for (let i = 0; i < 5000; i++) {
      const path = ['/srv', `dir${i}`, `f${i % 7}.txt`].join('/');
      assert.equal(pathDirectory(path), `/srv/dir${i}`);
      assert.equal(pathFilename(path), `f${i % 7}.txt`);
      assert.deepEqual(pathComponents(path), ['srv', `dir${i}`, `f${i % 7}.txt`]);
    }
    assert.equal(pathFilename(long), 'file');
    assert.equal(pathDirectory(long), long.slice(0, -5));
    assert.equal(pathComponents(long).length, 401);
  }
});
