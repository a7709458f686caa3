/**
 * The Docker Engine API source against an HTTP server on a unix socket started by the test,
 * answering as dockerd does (GET /v1.41/containers/{id}/json, /images/{id}/json, /events,
 * /version): the fields a lookup fills, a 404 for an unknown id, the event stream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DockerSource } from '../../../src/sensor/runtime/docker-source.js';
import type { RuntimeEvent } from '../../../src/sensor/runtime/source.js';

const ID = 'beef'.padEnd(64, '5');
const IMAGE_ID = 'sha256:' + '6'.repeat(64);
const DIGEST = 'sha256:' + '7'.repeat(64);

let dir = '';
let server: Server;
let socket = '';
let events: ServerResponse | undefined;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-docker-'));
  socket = join(dir, 'docker.sock');
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === `/v1.41/containers/${ID}/json`) {
      return json(res, 200, {
        Id: ID,
        Name: '/shop-db',
        Image: IMAGE_ID,
        Config: { Image: 'postgres:16', Labels: { 'com.docker.compose.service': 'db' } },
        HostConfig: { Privileged: false },
        State: { StartedAt: '2026-01-02T03:04:05.5Z' },
      });
    }
    if (url === `/v1.41/images/${encodeURIComponent(IMAGE_ID)}/json`) {
      return json(res, 200, { RepoDigests: [`postgres@${DIGEST}`] });
    }
    if (url === '/v1.41/version')
      return json(res, 200, { Version: '24.0.7', ApiVersion: '1.43', Components: [{ Name: 'Engine' }] });
    if (url.startsWith('/v1.41/events?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      events = res;
      return;
    }
    json(res, 404, { message: 'No such container' });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});
after(() => {
  events?.end();
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a Docker lookup fills name, image parts with the registry digest, labels, privileged, start', async () => {
  const src = new DockerSource(socket, 1000);
  assert.deepEqual(await src.lookup(ID), {
    name: 'shop-db',
    image: 'postgres:16',
    image_repository: 'postgres',
    image_tag: '16',
    image_digest: DIGEST,
    image_id: '666666666666',
    labels: { 'com.docker.compose.service': 'db' },
    privileged: false,
    start_ts: Date.parse('2026-01-02T03:04:05.5Z') * 1e6,
  });
  assert.equal(await src.lookup('0'.repeat(64)), null);
  assert.equal(await src.probe(), 'Engine 24.0.7 (Docker API 1.43)');
});

test('the Docker event stream: start and destroy of containers', async () => {
  const src = new DockerSource(socket, 1000);
  const seen: RuntimeEvent[] = [];
  let ended: Error | undefined;
  const stop = src.watch(
    (e) => seen.push(e),
    (err) => (ended = err),
  );
  while (events === undefined) await new Promise((r) => setTimeout(r, 5));
  events.write(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: ID } }) + '\n');
  events.write(JSON.stringify({ Type: 'container', Action: 'destroy', Actor: { ID: ID } }) + '\n{"Action":');
  events.write('"start"}\n');
  while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(seen, [
    { id: ID, kind: 'start' },
    { id: ID, kind: 'stop' },
  ]);
  events.end();
  while (ended === undefined) await new Promise((r) => setTimeout(r, 5));
  assert.match(ended.message, /the stream ended/);
  stop();
});
