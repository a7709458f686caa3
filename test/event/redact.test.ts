import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventForAlert, redactEnvEntry, REDACTED } from '../../src/event/redact.js';
import { makeEvent } from '../support/events.js';

test('secret-looking variables lose their values, others keep them', () => {
  assert.equal(redactEnvEntry('AWS_SECRET_ACCESS_KEY=abc'), `AWS_SECRET_ACCESS_KEY=${REDACTED}`);
  assert.equal(redactEnvEntry('GITHUB_TOKEN=ghp_x'), `GITHUB_TOKEN=${REDACTED}`);
  assert.equal(redactEnvEntry('PGPASSWORD=hunter2'), `PGPASSWORD=${REDACTED}`);
  assert.equal(redactEnvEntry('LD_PRELOAD=/tmp/x.so'), 'LD_PRELOAD=/tmp/x.so');
  assert.equal(redactEnvEntry('PATH=/usr/bin'), 'PATH=/usr/bin');
  assert.equal(redactEnvEntry('NOEQUALS'), 'NOEQUALS');
});

test('the alert copy is redacted; the event itself is untouched', () => {
  const ev = makeEvent({ proc: { env: ['HOME=/root', 'DB_PASSWORD=s3cret'] } });
  const copy = eventForAlert(ev);
  assert.deepEqual(copy.proc.env, ['HOME=/root', `DB_PASSWORD=${REDACTED}`]);
  assert.deepEqual(ev.proc.env, ['HOME=/root', 'DB_PASSWORD=s3cret']);
  const clean = makeEvent({ proc: { env: ['HOME=/root'] } });
  assert.equal(eventForAlert(clean), clean, 'no copy when there is nothing to redact');
});
