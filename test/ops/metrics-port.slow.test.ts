/**
 * Two agents on one host both default to 127.0.0.1:9476. The second one must
 * say so in one line naming the key to change, before it loads any probe (so
 * this test needs no BPF: the port is taken by a real listener here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentMetrics, OpsListenError, startOpsServer } from '../../src/ops/index.js';
import { vigilCommand } from './cli.js';

async function takenPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test('the ops server reports a taken port in one sentence', async (t) => {
  const { server, port } = await takenPort();
  t.after(() => server.close());
  await assert.rejects(
    startOpsServer({ listen: `127.0.0.1:${port}`, metrics: new AgentMetrics() }),
    (err: unknown) => {
      assert.ok(err instanceof OpsListenError);
      assert.equal(err.code, 'EADDRINUSE');
      assert.equal(
        err.message,
        `cannot listen on 127.0.0.1:${port}: the port is in use (another vigil agent on this host?)`,
      );
      return true;
    },
  );
});

test('vigil run exits 1 with one line naming metrics.listen when the port is taken', async (t) => {
  const { server, port } = await takenPort();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-port-'));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'vigil.yaml'), `metrics:\n  listen: 127.0.0.1:${port}\n`, { mode: 0o644 });
  writeFileSync(
    join(dir, 'rules.yaml'),
    '- rule: r\n  desc: d\n  condition: evt.type = openat and fd.name = /nonexistent\n' +
      '  output: o\n  priority: NOTICE\n',
    { mode: 0o644 },
  );
  const [cmd, args] = vigilCommand([
    'run',
    '--config',
    join(dir, 'vigil.yaml'),
    '--rules',
    join(dir, 'rules.yaml'),
    '--db',
    join(dir, 'a.db'),
  ]);
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(cmd, args, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    );
    child.stdin?.end();
  });
  assert.equal(code, 1, stderr);
  const last = stderr.trimEnd().split('\n').at(-1);
  assert.equal(
    last,
    `vigil: metrics.listen: cannot listen on 127.0.0.1:${port}: the port is in use (another vigil agent on ` +
      'this host?); set metrics.listen in the config to a free host:port (or metrics.enabled: false)',
  );
  assert.doesNotMatch(stderr, /"msg":"ready"|at .*\.ts:\d+/, 'no probes, no stack trace');
});
