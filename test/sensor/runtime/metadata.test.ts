/**
 * Container metadata from a CRI runtime (a gRPC server on a unix socket started by the test):
 * the fields a lookup fills, the cache (once per id, bounded, refreshed), a runtime that stalls
 * (skipped with backoff, reported), and events of a new container held at most the bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MetadataWait } from '../../../src/agent/metadata-wait.js';
import type { VigilEvent } from '../../../src/event/types.js';
import { ContainerCatalog } from '../../../src/sensor/container-catalog.js';
import { CriSource } from '../../../src/sensor/runtime/cri-source.js';
import { ContainerMetadataCache } from '../../../src/sensor/runtime/metadata-cache.js';
import { imageFields, parseImageRef } from '../../../src/sensor/runtime/metadata.js';
import { sampleEvent } from '../../../src/engine/rule-tests/sample-event.js';
import { CriServer } from './cri-server.js';

const ID = 'c0ffee'.padEnd(64, '1');
const SANDBOX = 'abcdef'.padEnd(64, '2');
const UID = '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11';
const DIGEST = 'sha256:' + '3'.repeat(64);

let dir = '';
let server: CriServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-cri-'));
  server = await CriServer.start(join(dir, 'cri.sock'));
  server.containers.set(ID, {
    status: {
      id: ID,
      metadata: { name: 'api', attempt: 0 },
      state: 'CONTAINER_RUNNING',
      started_at: 1_700_000_000_000_000_000,
      image: { image: 'registry.local:5000/shop/api:2.1' },
      image_ref: `registry.local:5000/shop/api@${DIGEST}`,
      labels: { 'io.kubernetes.container.name': 'api', role: 'backend' },
    },
    info: { sandboxID: SANDBOX, pid: 42, config: { linux: { security_context: { privileged: true } } } },
  });
  server.pods.set(SANDBOX, {
    id: SANDBOX,
    metadata: { name: 'api-7f9c', uid: UID, namespace: 'shop', attempt: 0 },
    labels: { app: 'api' },
  });
});
after(() => {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('image references split as Falco does: registry port, tag, digest', () => {
  assert.deepEqual(parseImageRef('nginx:1.25'), { repository: 'nginx', tag: '1.25', digest: '' });
  assert.deepEqual(parseImageRef('localhost:5000/a/b'), {
    repository: 'localhost:5000/a/b',
    tag: '',
    digest: '',
  });
  assert.deepEqual(parseImageRef(`x/y:1@${DIGEST}`), { repository: 'x/y', tag: '1', digest: DIGEST });
  assert.deepEqual(parseImageRef(`x/y@${DIGEST}`), { repository: 'x/y', tag: '', digest: DIGEST });
  // A runtime that reports the image by id: no name, the id kept.
  assert.deepEqual(imageFields('sha256:' + 'f'.repeat(64), '', 'sha256:' + 'f'.repeat(64)), {
    image_id: 'ffffffffffff',
  });
});

test('a CRI lookup fills name, image parts, labels, privileged flag and the pod with its labels', async () => {
  const src = new CriSource(server.socket, 1000);
  try {
    assert.deepEqual(await src.lookup(ID), {
      name: 'api',
      image: 'registry.local:5000/shop/api:2.1',
      image_repository: 'registry.local:5000/shop/api',
      image_tag: '2.1',
      image_digest: DIGEST,
      labels: { 'io.kubernetes.container.name': 'api', role: 'backend' },
      privileged: true,
      start_ts: 1_700_000_000_000_000_000,
      pod: { uid: UID, name: 'api-7f9c', namespace: 'shop', labels: { app: 'api' } },
    });
    assert.equal(await src.lookup('9'.repeat(64)), null, 'an id the runtime does not know');
    assert.match(await src.probe(), /^test-cri 0\.0\.1 \(CRI v1\)$/);
  } finally {
    src.close();
  }
});

function proc(fullId: string) {
  return {
    ...sampleEvent({}).proc,
    container_id: fullId.slice(0, 12),
    cgroup: `/kubepods/besteffort/pod${UID}/${fullId}`,
  };
}

test('the catalog describes a container again once its lookup settles; one lookup per id', async () => {
  const changed: string[] = [];
  const cache = new ContainerMetadataCache({
    sources: [new CriSource(server.socket, 1000)],
    onChange: (id) => {
      changed.push(id);
      catalog.forget(id);
    },
  });
  const catalog = new ContainerCatalog(null, 64, cache);
  try {
    const before = server.calls;
    const first = catalog.of(proc(ID))!;
    assert.deepEqual(first.unknown?.includes('container.image.repository'), true);
    assert.equal(first.unknown?.includes('k8s.pod.labels'), true);
    await catalog.whenSettled(proc(ID));
    assert.deepEqual(changed, [ID]);
    const now = catalog.of(proc(ID))!;
    assert.equal(now.image_repository, 'registry.local:5000/shop/api');
    assert.equal(now.type, 'containerd');
    assert.equal(now.unknown, undefined);
    assert.equal(first.image, undefined, 'what earlier events hold is unchanged');
    assert.equal(catalog.of(proc(ID)), now, 'shared');
    assert.equal(server.calls - before, 2, 'ContainerStatus and PodSandboxStatus, once');
    assert.deepEqual(cache.stats().lookups, { found: 1, not_found: 0, error: 0, skipped: 0 });
  } finally {
    cache.close();
  }
});

test('no runtime socket on the host: nothing is unknown, nothing waits', () => {
  const cache = new ContainerMetadataCache({ sources: [new CriSource(join(dir, 'absent.sock'), 1000)] });
  const catalog = new ContainerCatalog(null, 64, cache);
  try {
    assert.deepEqual(catalog.of(proc(ID)), { id: ID.slice(0, 12), type: 'containerd' });
    assert.equal(catalog.whenSettled(proc(ID)), undefined);
    assert.deepEqual(cache.stats().lookups, { found: 0, not_found: 0, error: 0, skipped: 0 });
  } finally {
    cache.close();
  }
});

test('a stalled runtime: held events go on at the bound saying what is unknown; then it is skipped', async () => {
  const stalled = await CriServer.start(join(dir, 'stalled.sock'));
  stalled.stall = true;
  const logs: string[] = [];
  let t = 0;
  const cache = new ContainerMetadataCache({
    sources: [new CriSource(stalled.socket, 200)],
    backoffMs: 1000,
    onChange: (id) => catalog.forget(id),
    log: (msg) => logs.push(msg),
    now: () => t,
  });
  const catalog = new ContainerCatalog(null, 64, cache, () => t);
  const decided: VigilEvent[] = [];
  const wait = new MetadataWait(
    () => catalog,
    20,
    (ev) => decided.push(ev),
  );
  try {
    const ev = sampleEvent({ proc: proc(ID) });
    // The decoder reads the mounts from the process; the catalog does not keep them.
    const mount = { source: '/', dest: '/host', mode: 'ro', rdwr: false, propagation: 'private' };
    ev.container = { ...catalog.of(ev.proc)!, mounts: [mount] };
    const second = sampleEvent({ proc: proc(ID) });
    second.container = ev.container;
    assert.equal(wait.hold(ev), true);
    assert.equal(wait.hold(second), true, 'the container is held: its events keep their order');
    const host = sampleEvent({});
    assert.equal(wait.hold(host), false, 'host events never wait');
    while (decided.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(decided, [ev, second]);
    assert.ok(ev.container?.unknown?.includes('container.image'));
    assert.deepEqual(ev.container?.mounts, [mount], 'the mounts read at decode are kept');
    assert.deepEqual(wait.stats(), { in_time: 0, timed_out: 1, overflow: 0, held: 0 });
    // The lookup ends at its deadline: the runtime is down, then skipped without a call.
    await cache.settled(ID);
    assert.deepEqual(logs, ['container runtime lookup failed']);
    assert.equal(cache.stats().runtimes[0].up, false);
    const calls = stalled.calls;
    const other = 'd'.repeat(64);
    const c = catalog.of(proc(other))!;
    assert.ok(c.unknown !== undefined);
    assert.equal(catalog.whenSettled(proc(other)), undefined, 'nothing to wait for: no event is held');
    assert.equal(wait.hold(sampleEvent({ proc: proc(other), container: c })), false);
    assert.equal(stalled.calls, calls);
    assert.equal(cache.stats().lookups.skipped, 1);
    // After the backoff it is asked again.
    t += 1000;
    assert.equal(cache.get(other, 'containerd'), 'pending');
    await cache.settled(other);
    assert.equal(stalled.calls, calls + 1);
  } finally {
    cache.close();
    stalled.stop();
  }
});
