/**
 * Email through a real SMTP server (smtp-server) on 127.0.0.1 with TLS and auth: STARTTLS and
 * implicit TLS, one mail per high-priority alert and a digest for the rest, parsed by mailparser.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { parseConfig } from '../../src/config/index.js';
import { openOutputs } from '../../src/outputs/index.js';
import { makeAlert } from './support/alerts.js';
import { makeCerts, type TestCerts } from './support/certs.js';
import { freePort } from './support/ports.js';
import { waitFor } from './support/wait.js';

interface Received {
  mail: ParsedMail;
  secure: boolean;
  user: string;
}

const PASSWORD = 'correct-horse-battery-9';
let dir: string;
let certs: TestCerts;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-smtp-'));
  certs = await makeCerts(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function startSmtp(
  secure: boolean,
): Promise<{ port: number; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server = new SMTPServer({
    secure,
    key: readFileSync(certs.keyFile),
    cert: readFileSync(certs.certFile),
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'vigil' && auth.password === PASSWORD) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          got.push({ mail, secure: session.secure, user: String(session.user) });
          cb();
        })
        .catch(cb);
    },
    logger: false,
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, got, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const mode of ['starttls', 'implicit'] as const) {
  test(`email over ${mode}: one mail per Critical alert, a digest for the rest, text + HTML`, async () => {
    const smtp = await startSmtp(mode === 'implicit');
    // The password comes the way an operator gives it: ${ENV:} in vigil.yaml, expanded at load.
    const { outputs } = parseConfig(
      [
        'outputs:',
        '  store: { enabled: false }',
        '  sinks:',
        '    - type: email',
        '      host: 127.0.0.1',
        `      port: ${smtp.port}`,
        `      tls: ${mode}`,
        `      ca_file: ${certs.caFile}`,
        '      user: vigil',
        '      password: ${ENV:VIGIL_TEST_SMTP_PASSWORD}',
        '      from: vigil@node-7.example',
        '      to: [soc@example.com, oncall@example.com]',
        '      batch: { max_wait_ms: 100 }',
      ].join('\n'),
      'vigil.yaml',
      { VIGIL_TEST_SMTP_PASSWORD: PASSWORD },
    );
    const out = await openOutputs(outputs, pino({ level: 'silent' }));
    out.submit(makeAlert(1, { priority: 'Critical', output: 'Shell <b>spawned</b> & more' }));
    out.submit(makeAlert(2));
    out.submit(makeAlert(3, { priority: 'Notice', rule: 'Outbound connection' }));
    await waitFor(() => smtp.got.length >= 2);
    await out.close();
    await smtp.close();

    assert.equal(smtp.got.length, 2);
    for (const g of smtp.got) {
      assert.equal(g.secure, true, 'TLS was used');
      assert.equal(g.user, 'vigil');
      assert.equal(g.mail.from?.text, 'vigil@node-7.example');
      assert.deepEqual(
        (Array.isArray(g.mail.to) ? g.mail.to : [g.mail.to]).flatMap((t) => t!.value.map((v) => v.address)),
        ['soc@example.com', 'oncall@example.com'],
      );
      assert.ok(g.mail.text && g.mail.html, 'both parts');
    }
    const [critical, digest] = smtp.got;
    assert.equal(critical.mail.subject, '[vigil] Critical: Read sensitive file untrusted on node-7');
    assert.match(critical.mail.text!, /Shell <b>spawned<\/b> & more/);
    assert.match(critical.mail.text!, /Parents: cat \(4242\) <- bash \(4200\) <- sshd \(1\)/);
    assert.match(String(critical.mail.html), /Shell &lt;b&gt;spawned&lt;\/b&gt; &amp; more/);
    assert.equal(digest.mail.subject, '[vigil] digest: 2 alerts (Warning: 1, Notice: 1) on node-7');
    assert.match(digest.mail.text!, /Read sensitive file untrusted/);
    assert.match(digest.mail.text!, /Outbound connection/);
    assert.match(String(digest.mail.html), /Outbound connection/);
  });
}

test('a wrong SMTP password: reported, retried, never shown', async () => {
  const smtp = await startSmtp(false);
  const out = await openOutputs(
    {
      store: { enabled: false },
      close_timeout_ms: 200,
      sinks: [
        {
          type: 'email',
          host: '127.0.0.1',
          port: smtp.port,
          ca_file: certs.caFile,
          user: 'vigil',
          password: 'wrong-password-1234',
          from: 'vigil@example.com',
          to: ['soc@example.com'],
          batch: { max_wait_ms: 0 },
          retry: { initial_ms: 50, max_ms: 100 },
        },
      ],
    },
    pino({ level: 'silent' }),
  );
  out.submit(makeAlert(1));
  await waitFor(() => out.health().sinks[0].consecutiveFailures >= 2);
  const h = out.health().sinks[0];
  await out.close();
  await smtp.close();
  assert.equal(smtp.got.length, 0);
  assert.equal(h.dropped, 0, 'auth failures are retried, not dropped');
  assert.match(h.lastError ?? '', /Invalid/);
  assert.ok(!JSON.stringify(h).includes('wrong-password-1234'));
});

test('immediate_priority: an alert that severe is mailed at once, not after the 60 s batch wait', async () => {
  const smtp = await startSmtp(false);
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'email',
          host: '127.0.0.1',
          port: smtp.port,
          ca_file: certs.caFile,
          user: 'vigil',
          password: PASSWORD,
          from: 'vigil@example.com',
          to: ['soc@example.com'],
          immediate_priority: 'Error',
          batch: { max_wait_ms: 60_000 },
        },
      ],
    },
    pino({ level: 'silent' }),
  );
  out.submit(makeAlert(1, { priority: 'Notice' }));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(smtp.got.length, 0, 'a Notice alone waits for the batch');
  const start = Date.now();
  out.submit(makeAlert(2, { priority: 'Error' }));
  await waitFor(() => smtp.got.length >= 2);
  const took = Date.now() - start;
  await out.close();
  await smtp.close();
  assert.ok(took < 10_000, `mailed after ${took} ms`);
  assert.deepEqual(
    smtp.got.map((g) => g.mail.subject),
    [
      '[vigil] Error: Read sensitive file untrusted on node-7',
      '[vigil] digest: 1 alert (Notice: 1) on node-7',
    ],
  );
});
