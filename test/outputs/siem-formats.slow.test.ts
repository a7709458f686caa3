/**
 * The SIEM-side shapes: OpenTelemetry logs (OTLP/HTTP JSON) and OCSF Detection Findings, sent by
 * the HTTP sink to a real HTTP server on 127.0.0.1 and written by the file sink, checked against
 * what the OTLP specification and OCSF 1.x (the class's required attributes) say.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { Alert } from '../../src/event/alert.js';
import { openOutputs, type SinkConfig } from '../../src/outputs/index.js';
import { unixNanos } from '../../src/outputs/formats/otlp.js';
import { makeAlert } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';
import { waitFor } from './support/wait.js';

const logger = pino({ level: 'silent' });

/** A file alert in a container of a pod, and a network alert on another host, killed. */
function alerts(): Alert[] {
  const file = makeAlert(1);
  file.event.container = {
    id: '3ad7b26ded6d',
    name: 'web',
    image: 'docker.io/library/nginx:1.27',
    image_repository: 'docker.io/library/nginx',
    image_tag: '1.27',
    pod: { uid: '5f0c6d1e-aaaa-4bbb-8ccc-123456789abc', name: 'web-7d9f', namespace: 'shop' },
  };
  const net = makeAlert(2, {
    hostname: 'db-2',
    rule: 'Outbound connection to C2',
    priority: 'Critical',
    action: 'killed',
    tags: ['network', 'mitre_command_and_control', 'T1071'],
    enforcement: { mode: 'kernel' },
  });
  net.event.type = 'connect';
  net.event.fd = {
    type: 'ipv4',
    name: '10.0.0.5:40112->203.0.113.9:443',
    l4proto: 'tcp',
    lip: '10.0.0.5',
    lport: 40112,
    rip: '203.0.113.9',
    rport: 443,
  };
  return [file, net];
}

async function deliverHttp(sink: Omit<Extract<SinkConfig, { type: 'http' }>, 'url'>, path = '') {
  const rx = await startReceiver();
  const out = await openOutputs(
    { store: { enabled: false }, sinks: [{ ...sink, url: rx.url + path }] },
    logger,
  );
  for (const a of alerts()) out.submit(a);
  await waitFor(() => out.health().sinks[0].delivered >= 2);
  await out.close();
  await rx.close();
  return rx.requests;
}

/** A parsed finding, read the way the checks below walk it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document walked by path
type Finding = Record<string, any>;

type KV = { key: string; value: Record<string, unknown> };
const attrMap = (kvs: KV[]): Record<string, unknown> =>
  Object.fromEntries(kvs.map((kv) => [kv.key, Object.values(kv.value)[0]]));

test('OTLP/HTTP JSON: a LogRecord per alert, a ResourceLogs per host, to /v1/logs', async () => {
  const reqs = await deliverHttp({ type: 'http', format: 'otlp', batch: { max_wait_ms: 50 } });
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0].url, '/v1/logs');
  assert.match(String(reqs[0].headers['content-type']), /^application\/json/);
  const body = JSON.parse(reqs[0].body);
  const [a, b] = alerts();
  assert.equal(body.resourceLogs.length, 2);
  const hosts = body.resourceLogs.map((r: { resource: { attributes: KV[] } }) =>
    attrMap(r.resource.attributes),
  );
  assert.deepEqual(
    hosts.map((h: Record<string, unknown>) => [h['host.name'], h['service.name']]),
    [
      ['node-7', 'vigil'],
      ['db-2', 'vigil'],
    ],
  );
  const [rec1] = body.resourceLogs[0].scopeLogs[0].logRecords;
  const [rec2] = body.resourceLogs[1].scopeLogs[0].logRecords;
  assert.equal(body.resourceLogs[0].scopeLogs[0].scope.name, 'vigil');
  assert.equal(rec1.timeUnixNano, '1795467600001456789', 'nanoseconds kept, int64 as a string');
  assert.equal(rec1.severityNumber, 13, 'Warning: WARN');
  assert.equal(rec1.severityText, 'Warning');
  assert.equal(rec2.severityNumber, 21, 'Critical: FATAL');
  assert.deepEqual(rec1.body, { stringValue: a.output });
  const at1 = attrMap(rec1.attributes);
  assert.equal(at1['vigil.rule'], a.rule);
  assert.equal(at1['vigil.uuid'], a.uuid);
  assert.equal(at1['process.pid'], String(a.event.proc.pid), 'int64 as a string');
  assert.equal(at1['process.executable.path'], a.event.proc.exe);
  assert.equal(at1['file.path'], '/etc/shadow');
  assert.equal(at1['container.id'], '3ad7b26ded6d');
  assert.equal(at1['container.image.name'], 'docker.io/library/nginx');
  assert.equal(at1['k8s.pod.name'], 'web-7d9f');
  assert.equal(at1['k8s.namespace.name'], 'shop');
  assert.deepEqual(at1['vigil.tags'], { values: a.tags.map((t) => ({ stringValue: t })) });
  assert.equal(attrMap(rec2.attributes)['vigil.action'], b.action);
  assert.equal(unixNanos('2026-11-23T21:00:00Z'), '1795467600000000000');
});

/** The attributes OCSF 1.x requires of a Detection Finding and of the objects it holds. */
function assertDetectionFinding(f: Finding): void {
  for (const key of [
    'activity_id',
    'category_uid',
    'class_uid',
    'type_uid',
    'severity_id',
    'time',
    'metadata',
    'finding_info',
  ])
    assert.ok(f[key] !== undefined, `required ${key}`);
  assert.equal(f.class_uid, 2004);
  assert.equal(f.category_uid, 2);
  assert.equal(f.type_uid, f.class_uid * 100 + f.activity_id);
  assert.ok([0, 1, 2, 3, 4, 5, 6, 99].includes(f.severity_id));
  assert.ok(Number.isInteger(f.time), 'time: a timestamp in ms');
  assert.match(f.metadata.version, /^1\.\d+\.\d+$/);
  assert.equal(f.metadata.product.name, 'vigil');
  assert.equal(f.metadata.product.vendor_name, 'vigil');
  assert.equal(typeof f.finding_info.uid, 'string');
  assert.equal(typeof f.finding_info.title, 'string');
  assert.ok(Number.isInteger(f.device.type_id), 'device: type_id required');
  assert.equal(f.device.os.type_id, 200, 'os: Linux');
  for (const p of [f.actor.process, f.evidences[0].process]) {
    assert.ok(Number.isInteger(p.pid));
    assert.equal(typeof p.file.path, 'string');
    assert.ok(Number.isInteger(p.file.type_id), 'file: type_id required');
  }
}

function checkFindings(findings: Finding[]): void {
  const [a, b] = alerts();
  assert.equal(findings.length, 2);
  findings.forEach(assertDetectionFinding);
  const [f1, f2] = findings;
  assert.equal(f1.finding_info.uid, a.uuid);
  assert.equal(f1.finding_info.title, a.rule);
  assert.equal(f1.message, a.output);
  assert.equal(f1.time, Date.parse(a.time));
  assert.deepEqual([f1.severity_id, f1.severity], [3, 'Medium']);
  assert.deepEqual([f1.action_id, f1.disposition_id], [3, 17], 'alerted only: observed, logged');
  assert.equal(f1.device.hostname, 'node-7');
  assert.equal(f1.actor.user.name, a.event.user.name);
  assert.equal(f1.evidences[0].process.cmd_line, a.event.proc.cmdline);
  assert.equal(f1.evidences[0].process.parent_process.pid, 4200);
  assert.deepEqual(f1.evidences[0].file, {
    path: '/etc/shadow',
    name: 'shadow',
    parent_folder: '/etc',
    type_id: 1,
    type: 'Regular File',
  });
  assert.deepEqual(f1.evidences[0].container, {
    uid: '3ad7b26ded6d',
    name: 'web',
    image: { name: 'docker.io/library/nginx', tag: '1.27', uid: 'docker.io/library/nginx:1.27' },
    pod_uuid: '5f0c6d1e-aaaa-4bbb-8ccc-123456789abc',
    orchestrator: 'Kubernetes',
  });
  assert.deepEqual(f1.unmapped.k8s, { pod: 'web-7d9f', namespace: 'shop' });
  assert.deepEqual(f1.finding_info.attacks, [
    { technique: { uid: 'T1003' }, tactic: { name: 'credential access' }, version: 'v14' },
  ]);
  assert.deepEqual([f2.severity_id, f2.action_id, f2.disposition_id], [5, 2, 2], 'killed: denied, blocked');
  assert.equal(f2.device.hostname, b.hostname);
  assert.deepEqual(f2.evidences[0].src_endpoint, { ip: '10.0.0.5', port: 40112 });
  assert.deepEqual(f2.evidences[0].dst_endpoint, { ip: '203.0.113.9', port: 443 });
  assert.equal(f2.evidences[0].connection_info.protocol_name, 'tcp');
  assert.equal(f2.evidences[0].file, undefined);
  assert.deepEqual(f2.unmapped.enforcement, { mode: 'kernel' });
}

test('OCSF over HTTP: a JSON array of Detection Findings per batch, or one per POST', async () => {
  const arrays = await deliverHttp({ type: 'http', format: 'ocsf', batch: { max_wait_ms: 50 } });
  assert.equal(arrays.length, 1);
  checkFindings(JSON.parse(arrays[0].body));
  const each = await deliverHttp({
    type: 'http',
    format: 'ocsf',
    body: 'object',
    batch: { max_wait_ms: 50 },
  });
  assert.equal(each.length, 2);
  checkFindings(each.map((r) => JSON.parse(r.body)));
});

test('OCSF in the file sink: one Detection Finding per line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ocsf-'));
  try {
    const path = join(dir, 'findings.jsonl');
    const out = await openOutputs(
      { store: { path: join(dir, 'a.db') }, sinks: [{ type: 'file', path, format: 'ocsf' }] },
      logger,
    );
    for (const a of alerts()) out.submit(a);
    await waitFor(() => out.health().sinks[0].delivered >= 2);
    await out.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    checkFindings(lines.map((l) => JSON.parse(l)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
