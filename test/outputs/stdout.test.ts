import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { makeAlert } from './support/alerts.js';

const COMPILED = import.meta.url.endsWith('.js');
const CHILD = new URL(`./support/stdout-child.${COMPILED ? 'js' : 'ts'}`, import.meta.url).pathname;
const stdoutOf = (...args: string[]): string =>
  execFileSync(process.execPath, [...(COMPILED ? [] : ['--import', 'tsx']), CHILD, ...args], {
    encoding: 'utf8',
  });

test('stdout: the alert JSON one per line when not a terminal (or with json)', () => {
  for (const args of [
    ['auto', 'pipe'],
    ['json', 'tty'],
  ]) {
    const lines = stdoutOf(...args)
      .trimEnd()
      .split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as Alert),
      [makeAlert(1), makeAlert(2, { priority: 'Critical', action: 'killed' })],
    );
  }
});

test('stdout: human lines on a terminal, coloured by priority', () => {
  const lines = stdoutOf('auto', 'tty').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(
    lines[0],
    '[2026-11-23T21:00:00.001456789Z] \x1b[33mWARNING      \x1b[0m Read sensitive file untrusted: ' +
      'Sensitive file opened for reading (file=/etc/shadow seq=1 user=root) (host=node-7 container=3ad7b26ded6d)',
  );
  assert.ok(lines[1].includes('\x1b[31mCRITICAL     \x1b[0m'), 'Critical in red');
  assert.ok(lines[1].endsWith('(host=node-7 container=3ad7b26ded6d action=killed)'));
  const plain = stdoutOf('text', 'pipe').trimEnd().split('\n');
  assert.ok(!plain[0].includes('\x1b['), 'no colour off a terminal');
});
