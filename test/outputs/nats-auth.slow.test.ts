/**
 * The NATS sink's auth against real nats-servers, one per mode: token, user and password, NKEY,
 * a creds file (the server in operator mode, its JWTs signed here with NKEYs), and mutual TLS with
 * a CA made by openssl. Each delivers; with a wrong secret the sink retries and neither its log
 * nor its health shows the secret.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { credsAuthenticator, nkeys } from '@nats-io/transport-node';
import pino from 'pino';
import { openOutputs, redactingLogMethod, type SinkConfig } from '../../src/outputs/index.js';
import { natsServerMissing, startNats, type NatsNode } from '../support/nats-server.js';
import { makeAlert } from './support/alerts.js';
import { makeCerts } from './support/certs.js';
import { streamMessages } from './support/nats-stream.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
let dir: string;
const missing = natsServerMissing();
const servers: NatsNode[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-nats-auth-'));
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function server(name: string, config: string): Promise<NatsNode> {
  const s = await startNats(join(dir, name), { config });
  servers.push(s);
  return s;
}

/** A logger like the agent's (every line through the redactor) writing into a string. */
function capturingLogger(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level: 'debug', hooks: { logMethod: redactingLogMethod } }, sink);
  return { logger, text: () => chunks.join('') };
}

/** Delivers three alerts through a sink with this config; returns what it logged and its health. */
async function deliver(
  name: string,
  sink: Partial<Extract<SinkConfig, { type: 'nats' }>>,
  servers: string[],
) {
  const log = capturingLogger();
  const out = await openOutputs(
    {
      store: { path: join(dir, `${name}.db`) },
      sinks: [{ type: 'nats', servers, retry: { initial_ms: 50, max_ms: 300 }, timeout_ms: 3000, ...sink }],
    },
    log.logger,
  );
  for (let i = 0; i < 3; i++) out.submit(makeAlert(i));
  await waitFor(() => out.health().sinks[0].delivered >= 3);
  await out.close();
  return log;
}

/** A sink with a wrong secret: it retries, and the secret is nowhere in its log or health. */
async function refused(
  name: string,
  sink: Partial<Extract<SinkConfig, { type: 'nats' }>>,
  servers: string[],
  secret: string,
) {
  const log = capturingLogger();
  const out = await openOutputs(
    {
      store: { path: join(dir, `${name}-refused.db`) },
      sinks: [{ type: 'nats', servers, retry: { initial_ms: 50, max_ms: 300 }, timeout_ms: 3000, ...sink }],
    },
    log.logger,
  );
  out.submit(makeAlert(1));
  await waitFor(() => out.health().sinks[0].failedAttempts >= 2);
  const health = JSON.stringify(out.health());
  await out.close();
  assert.equal(JSON.parse(health).sinks[0].delivered, 0);
  assert.match(log.text() + health, /nats/);
  assert.ok(!log.text().includes(secret), `${name}: the secret is not in the log`);
  assert.ok(!health.includes(secret), `${name}: the secret is not in the health`);
}

test('token: delivered; a wrong token retried, never shown', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const token = 'tok-3f9a1c27e6b54d08';
  const s = await server('token', `authorization { token: "${token}" }`);
  await deliver('token', { token }, [s.url]);
  assert.equal((await streamMessages({ servers: s.url, token })).length, 3);
  await refused('token', { token: 'tok-wrong-77c2e1a9' }, [s.url], 'tok-wrong-77c2e1a9');
});

test('user and password, in the keys or in the URL: delivered; never shown', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const password = 'pw-b7e21d94c0a3';
  const s = await server('userpass', `authorization { users: [ { user: vigil, password: "${password}" } ] }`);
  await deliver('userpass', { user: 'vigil', password }, [s.url]);
  const inUrl = `nats://vigil:${password}@127.0.0.1:${s.port}`;
  const log = await deliver('userpass-url', {}, [inUrl]);
  assert.ok(!log.text().includes(password));
  assert.equal((await streamMessages({ servers: s.url, user: 'vigil', pass: password })).length, 3);
  await refused('userpass', { user: 'vigil', password: 'pw-wrong-5512ab' }, [s.url], 'pw-wrong-5512ab');
});

test('NKEY seed, inline or from a file: delivered; the seed never shown', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const user = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const s = await server('nkey', `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }`);
  const seedFile = join(dir, 'user.nk');
  writeFileSync(seedFile, seed + '\n', { mode: 0o600 });
  await deliver('nkey', { nkey_seed: seed }, [s.url]);
  await deliver('nkey-file', { nkey_seed_file: seedFile }, [s.url]);
  const other = new TextDecoder().decode(nkeys.createUser().getSeed());
  await refused('nkey', { nkey_seed: other }, [s.url], other);
});

test('creds file (operator mode, JetStream account): delivered', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const op = operatorSetup();
  const s = await server('creds', op.serverConfig);
  const creds = join(dir, 'user.creds');
  writeFileSync(creds, op.creds, { mode: 0o600 });
  const log = await deliver('creds', { creds_file: creds }, [s.url]);
  assert.ok(!log.text().includes(op.userSeed), 'the seed is not in the log');
  assert.equal(
    (
      await streamMessages({
        servers: s.url,
        authenticator: credsAuthenticator(new TextEncoder().encode(op.creds)),
      })
    ).length,
    3,
  );
});

test('mutual TLS with a CA made by openssl: delivered; without the client certificate refused', async (t) => {
  if (missing) return t.skip('nats-server not installed');
  const certs = await makeCerts(dir);
  const client = await clientCert(dir);
  const s = await server(
    'tls',
    `tls { cert_file: "${certs.certFile}", key_file: "${certs.keyFile}", ca_file: "${certs.caFile}", verify: true }`,
  );
  const tls = { ca_file: certs.caFile, cert_file: client.certFile, key_file: client.keyFile };
  await deliver('tls', tls, [s.url]);
  const read = {
    servers: s.url,
    tls: { caFile: certs.caFile, certFile: client.certFile, keyFile: client.keyFile },
  };
  assert.equal((await streamMessages(read)).length, 3);
  await refused('tls', { ca_file: certs.caFile }, [s.url], 'BEGIN');
});

/** A client certificate signed by the test CA (makeCerts left ca.key and ca.pem in dir). */
async function clientCert(d: string): Promise<{ certFile: string; keyFile: string }> {
  const p = (f: string): string => join(d, f);
  await run('openssl', [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=vigil-agent',
  ]); // prettier-ignore
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  await run('openssl', [
    'x509', '-req', '-in', p('client.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('client.pem'), '-days', '2', '-extfile', p('client.ext'),
  ]); // prettier-ignore
  return { certFile: p('client.pem'), keyFile: p('client.key') };
}

const b64url = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

/** A NATS JWT (ed25519-nkey) with these claims, signed by `signer`. */
function jwt(signer: nkeys.KeyPair, sub: string, name: string, nats: object): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims = {
    jti: b64url(name + Date.now()),
    iat: Math.floor(Date.now() / 1000),
    iss: signer.getPublicKey(),
    name,
    sub,
    nats,
  };
  const body = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${b64url(signer.sign(new TextEncoder().encode(body)))}`;
}

/** An operator, a system account, an account with JetStream and a user in it, as a server config and a creds file. */
function operatorSetup(): { serverConfig: string; creds: string; userSeed: string } {
  const operator = nkeys.createOperator();
  const sys = nkeys.createAccount();
  const account = nkeys.createAccount();
  const user = nkeys.createUser();
  const unlimited = {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
  };
  const opJwt = jwt(operator, operator.getPublicKey(), 'test-operator', { type: 'operator', version: 2 });
  const sysJwt = jwt(operator, sys.getPublicKey(), 'SYS', { limits: unlimited, type: 'account', version: 2 });
  const accJwt = jwt(operator, account.getPublicKey(), 'VIGIL', {
    limits: { ...unlimited, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
    type: 'account',
    version: 2,
  });
  const userJwt = jwt(account, user.getPublicKey(), 'agent', {
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
    type: 'user',
    version: 2,
  });
  const userSeed = new TextDecoder().decode(user.getSeed());
  const serverConfig = [
    `operator: ${opJwt}`,
    `system_account: ${sys.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: { ${sys.getPublicKey()}: ${sysJwt}, ${account.getPublicKey()}: ${accJwt} }`,
  ].join('\n');
  const creds = [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '-----BEGIN USER NKEY SEED-----',
    userSeed,
    '------END USER NKEY SEED------',
    '',
  ].join('\n');
  return { serverConfig, creds, userSeed };
}
