import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertEnv, eventForAlert, redactEnvEntry, redactSecrets, REDACTED } from '../../src/event/redact.js';
import { KEEP_ENTRIES, SECRET_ENTRIES } from './redact-corpus.js';
import { makeEvent } from '../support/events.js';

test('secret-looking variables lose their values, others keep them', () => {
  assert.equal(redactEnvEntry('AWS_SECRET_ACCESS_KEY=abc'), `AWS_SECRET_ACCESS_KEY=${REDACTED}`);
  assert.equal(redactEnvEntry('GITHUB_TOKEN=ghp_x'), `GITHUB_TOKEN=${REDACTED}`);
  assert.equal(redactEnvEntry('PGPASSWORD=hunter2'), `PGPASSWORD=${REDACTED}`);
  assert.equal(redactEnvEntry('LD_PRELOAD=/tmp/x.so'), 'LD_PRELOAD=/tmp/x.so');
  assert.equal(redactEnvEntry('PATH=/usr/bin'), 'PATH=/usr/bin');
  assert.equal(redactEnvEntry('NOEQUALS'), 'NOEQUALS');
});

test('corpus: every secret is gone, by name or by value', () => {
  for (const { entry, secret } of SECRET_ENTRIES) {
    const out = redactEnvEntry(entry);
    assert.ok(!out.includes(secret), `${entry} -> ${out}`);
    assert.ok(out.startsWith(entry.slice(0, entry.indexOf('=') + 1)), 'the name stays');
    assert.ok(out.includes(REDACTED), out);
  }
});

test('corpus: ordinary values are kept whole', () => {
  for (const entry of KEEP_ENTRIES) assert.equal(redactEnvEntry(entry), entry);
});

test('in free text: URL passwords, bearer tokens and key shapes; the rest kept', () => {
  assert.equal(
    redactSecrets('curl -H "Authorization: Bearer abc123def456ghi789" https://api.example.com/v1'),
    `curl -H "Authorization: Bearer ${REDACTED}" https://api.example.com/v1`,
  );
  assert.equal(
    redactSecrets('psql postgres://app:Sup3rS3cret@db/app -c "select 1"'),
    `psql postgres://app:${REDACTED}@db/app -c "select 1"`,
  );
  assert.equal(redactSecrets('aws --profile x s3 ls'), 'aws --profile x s3 ls');
  assert.equal(redactSecrets('metrics token generated'), 'metrics token generated');
  assert.equal(redactSecrets('bearer tokenless request'), 'bearer tokenless request');
});

test('an alert carries no environment unless asked; asked, it is redacted', () => {
  const env = ['HOME=/root', 'DATABASE_URL=postgres://app:Sup3rS3cret@db/app', 'DB_PASSWORD=s3cret'];
  const ev = makeEvent({ proc: { env } });
  assert.deepEqual(eventForAlert(ev).proc.env, []);
  assert.deepEqual(eventForAlert(ev, true).proc.env, [
    'HOME=/root',
    `DATABASE_URL=postgres://app:${REDACTED}@db/app`,
    `DB_PASSWORD=${REDACTED}`,
  ]);
  assert.deepEqual(eventForAlert(ev, new Set(['HOME', 'NOPE'])).proc.env, ['HOME=/root']);
  assert.deepEqual(ev.proc.env, env, 'the event itself is untouched');
  assert.deepEqual(alertEnv(env, false), []);
});
