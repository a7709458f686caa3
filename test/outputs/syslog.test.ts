/**
 * Syslog against a real rsyslogd over UDP, TCP (octet counting) and TLS (gtls), with the message
 * as JSON and as CEF: what rsyslog parsed out of each RFC 5424 message is what the test checks.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import type { SinkConfig } from '../../src/outputs/config.js';
import { openOutputs } from '../../src/outputs/index.js';
import { VIGIL_VERSION } from '../../src/outputs/version.js';
import { makeAlert } from './support/alerts.js';
import { makeCerts } from './support/certs.js';
import { RSYSLOGD, startRsyslog, type Rsyslog } from './support/rsyslog.js';
import { waitFor } from './support/wait.js';

let dir: string;
let rs: Rsyslog;
let caFile: string;

before(async () => {
  if (!existsSync(RSYSLOGD)) {
    if (process.env.CI) throw new Error(`${RSYSLOGD} missing (scripts/install-deps.sh installs rsyslog)`);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'vigil-syslog-'));
  const certs = await makeCerts(dir);
  caFile = certs.caFile;
  rs = await startRsyslog(dir, certs);
});
after(async () => {
  await rs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Splits a CEF extension into key/value pairs, undoing its escapes. */
function cefExtension(ext: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(\w+)=((?:\\.|[^\\=])*?)(?=\s+\w+=|$)/g;
  for (const m of ext.matchAll(re)) {
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  }
  return out;
}

/** Splits a CEF header on unescaped pipes. */
function cefHeader(msg: string): string[] {
  const parts = msg.split(/(?<!\\)\|/);
  return [...parts.slice(0, 7).map((p) => p.replace(/\\([|\\])/g, '$1')), parts.slice(7).join('|')];
}

test('RFC 5424 over UDP, TCP and TLS, as JSON and as CEF, received by rsyslog', async (t) => {
  if (!rs) return t.skip('rsyslogd not installed');
  const alerts: Alert[] = [
    makeAlert(1),
    makeAlert(2, {
      priority: 'Critical',
      rule: 'Odd|rule \\ name',
      output: 'a=b \\ c\nsecond line ünïcode',
    }),
  ];
  const sinks: SinkConfig[] = [];
  for (const protocol of ['udp', 'tcp', 'tls'] as const) {
    for (const format of ['json', 'cef'] as const) {
      const port = protocol === 'udp' ? rs.udpPort : protocol === 'tcp' ? rs.tcpPort : rs.tlsPort;
      sinks.push({
        type: 'syslog',
        name: `${protocol}-${format}`,
        host: '127.0.0.1',
        port,
        protocol,
        format,
        facility: 'local3',
        app_name: `vigil-${protocol}-${format}`,
        ...(protocol === 'tls' ? { ca_file: caFile } : {}),
      });
    }
  }
  const out = await openOutputs({ store: { enabled: false }, sinks }, pino({ level: 'silent' }));
  for (const a of alerts) out.submit(a);
  await waitFor(() => rs.lines().length >= 12);
  const health = out.health();
  await out.close();
  // UDP acknowledges nothing: its alerts count as sent, TCP and TLS ones as delivered.
  assert.ok(
    health.sinks.every((s) =>
      s.name.startsWith('udp')
        ? s.state === 'ok' && s.sent === 2 && s.delivered === 0
        : s.state === 'ok' && s.delivered === 2 && s.sent === 0,
    ),
    JSON.stringify(health.sinks),
  );

  const lines = rs.lines();
  assert.equal(lines.length, 12);
  for (const protocol of ['udp', 'tcp', 'tls']) {
    for (const format of ['json', 'cef']) {
      const got = lines.filter((l) => l.appName === `vigil-${protocol}-${format}`);
      assert.equal(got.length, 2, `${protocol}/${format}`);
      for (const [i, l] of got.entries()) {
        const a = alerts[i];
        assert.equal(l.input, protocol);
        assert.equal(l.facility, 19, 'local3');
        assert.equal(l.severity, i === 0 ? 4 : 2, 'Warning=4, Critical=2');
        assert.equal(l.hostname, 'node-7');
        assert.equal(l.procId, String(process.pid));
        assert.equal(l.msgId, 'alert');
        // rsyslog escapes control characters in the file (the newline in output) as #012.
        const msg = l.msg.trim().replace(/#012/g, '\n');
        if (format === 'json') {
          assert.deepEqual(JSON.parse(msg), a);
        } else {
          const [cef, vendor, product, version, sigId, name, severity, ext] = cefHeader(msg);
          assert.deepEqual([cef, vendor, product, version], ['CEF:0', 'vigil', 'vigil', VIGIL_VERSION]);
          assert.equal(sigId, a.rule);
          assert.equal(name, a.rule);
          assert.equal(severity, i === 0 ? '6' : '8');
          const e = cefExtension(ext);
          assert.equal(e.msg, a.output);
          assert.equal(e.rt, String(Date.parse(a.time)));
          assert.equal(e.dvchost, 'node-7');
          assert.equal(e.externalId, a.uuid);
          assert.equal(e.suser, 'root');
          assert.equal(e.spid, '4242');
          assert.equal(e.sproc, 'cat');
          assert.equal(e.filePath, '/etc/shadow');
          assert.equal(e.cs2Label, 'containerId');
          assert.equal(e.cs2, '3ad7b26ded6d');
          assert.equal(e.cs3, '/usr/bin/bash (4200)');
        }
      }
    }
  }
});

test('UDP across an rsyslog restart: a refused port fails the batch, which is resent; counted as sent', async (t) => {
  if (!rs) return t.skip('rsyslogd not installed');
  const own = mkdtempSync(join(tmpdir(), 'vigil-syslog-restart-'));
  t.after(() => rmSync(own, { recursive: true, force: true }));
  const certs = await makeCerts(own);
  let server = await startRsyslog(own, certs);
  t.after(() => server.stop());
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [
        {
          type: 'syslog',
          host: '127.0.0.1',
          port: server.udpPort,
          protocol: 'udp',
          retry: { initial_ms: 50, max_ms: 200 },
        },
      ],
    },
    pino({ level: 'silent' }),
  );
  t.after(() => out.close());
  const seqs = (): number[] =>
    server.lines().map((l) => JSON.parse(l.msg.trim().replace(/#012/g, '\n')).output_fields['evt.num']);
  for (let i = 1; i <= 4; i++) out.submit(makeAlert(i));
  await waitFor(() => server.lines().length >= 4);

  const ports = { udpPort: server.udpPort, tcpPort: server.tcpPort, tlsPort: server.tlsPort };
  await server.stop();
  // Alerts one at a time while the receiver is down: each batch meets the closed port (ICMP port
  // unreachable) and is retried until rsyslog is back.
  for (let i = 5; i <= 14; i++) {
    out.submit(makeAlert(i));
    await new Promise((r) => setTimeout(r, 30));
  }
  const down = out.health().sinks[0];
  assert.equal(down.state === 'retrying' || down.state === 'failing', true, JSON.stringify(down));
  assert.ok(down.failedAttempts > 0);
  server = await startRsyslog(own, certs, ports);
  await waitFor(() => out.health().sinks[0].pending === 0);
  await waitFor(() => seqs().includes(14));
  const h = out.health().sinks[0];
  assert.equal(h.delivered, 0, 'UDP never counts as delivered');
  assert.equal(h.sent, 14);
  // On loopback the ICMP answer arrives within the batch's event-loop turn, so every refused batch
  // was resent and nothing is lost (a remote receiver's answer can come too late: docs/outputs.md).
  const got = new Set(seqs());
  assert.deepEqual(
    Array.from({ length: 14 }, (_, i) => i + 1).filter((n) => !got.has(n)),
    [],
  );
  assert.ok(
    server.lines().every((l) => l.msg.trim() !== ''),
    'the empty probe datagrams are ignored',
  );
});
