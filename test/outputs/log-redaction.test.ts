/**
 * Log lines never show a URL's path or query, nor a secret: a real HTTP receiver refuses
 * deliveries to a URL whose path and query are its credentials, and the pino output is captured.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { openOutputs, redactingLogMethod, redactLogText, redactUrl } from '../../src/outputs/index.js';
import { makeAlert } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'debug', hooks: { logMethod: redactingLogMethod } }, sink), lines };
}

test('redactUrl keeps scheme and host only', () => {
  assert.equal(redactUrl('https://hooks.slack.com/services/T0/B0/XyZ'), 'https://hooks.slack.com/***');
  assert.equal(redactUrl('http://user:pw@siem:8088/services/collector?x=1'), 'http://siem:8088/***');
  assert.equal(redactUrl('https://es.example.com:9200/'), 'https://es.example.com:9200');
  assert.equal(redactUrl('not a url'), '<invalid url>');
  assert.equal(
    redactLogText('POST http://10.0.0.5/hook/SECRET: HTTP 401 (see https://x.example/a?b=c).'),
    'POST http://10.0.0.5/***: HTTP 401 (see https://x.example/***).',
  );
});

test('a refused delivery is logged without the URL path, query or token', async (t) => {
  const rx = await startReceiver(() => ({ status: 401, body: 'bad token' }));
  t.after(() => rx.close());
  const { logger, lines } = capture();
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        { type: 'http', name: 'hook', url: `${rx.url}/hook/SECRET?sig=q1`, batch: { max_wait_ms: 10 } },
        {
          type: 'slack',
          name: 'chat',
          webhook_url: `${rx.url}/services/T01/B02/slackpathsecret`,
          batch: { max_wait_ms: 10 },
        },
      ],
    },
    logger,
  );
  out.submit(makeAlert(1));
  for (let i = 0; i < 200 && lines.filter((l) => l.includes('refused')).length < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await out.close();
  logger.info({ url: 'https://hooks.slack.com/services/T0/B0/XyZ' }, 'configured');
  logger.warn('token Bearer abcdefgh12345678 rejected by https://siem.example/api?key=k1');
  const text = lines.join('\n');
  const refused = lines.filter((l) => l.includes('refused'));
  assert.equal(refused.length, 2, text);
  for (const l of refused)
    assert.match(l, new RegExp(`POST ${rx.url.replace(/\./g, '\\.')}/\\*\\*\\*: HTTP 401`));
  for (const secret of ['SECRET', 'sig=q1', 'slackpathsecret', 'T0/B0', 'abcdefgh12345678', 'key=k1']) {
    assert.ok(!text.includes(secret), `${secret} in the log:\n${text}`);
  }
  assert.match(text, /https:\/\/hooks\.slack\.com\/\*\*\*/);
  assert.match(text, /https:\/\/siem\.example\/\*\*\*/);
});
