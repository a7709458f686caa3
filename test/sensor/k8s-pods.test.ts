/**
 * Pod metadata from the kubelet's directories, laid out under a temp root as the
 * kubelet lays them out on a node (real files and symlinks, real readdir).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodDirectory, parsePodDirName, podSourceReport } from '../../src/sensor/k8s-pods.js';
import { ContainerCatalog } from '../../src/sensor/container-catalog.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import type { ProcessInfo } from '../../src/event/types.js';
import { eventToJson, parseEventLine } from '../../src/event/json.js';
import { lookupField } from '../../src/engine/fields/registry.js';
import { formatEventLine } from '../../src/cli/events.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-k8s-'));
after(() => rmSync(root, { recursive: true, force: true }));

const UID_WEB = '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11';
const UID_DB = '7d2f6a10-93be-4c55-8a0e-5f4c1b2a3d44';
const ID_NGINX = 'a'.repeat(64);
const ID_SIDECAR = 'b'.repeat(64);
const ID_PG = 'c'.repeat(64);

/** A node's /var/log as the kubelet writes it; returns its pods and containers directories. */
function node(name: string): { podsDir: string; containersDir: string } {
  const podsDir = join(root, name, 'pods');
  const containersDir = join(root, name, 'containers');
  mkdirSync(containersDir, { recursive: true });
  const pod = (ns: string, pod: string, uid: string, containers: [string, string | null][]) => {
    for (const [c, id] of containers) {
      const dir = join(podsDir, `${ns}_${pod}_${uid}`, c);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '0.log'), '');
      if (id !== null) symlinkSync(join(dir, '0.log'), join(containersDir, `${pod}_${ns}_${c}-${id}.log`));
    }
  };
  pod('shop', 'web-7d9f8c6b5-x2x4z', UID_WEB, [
    ['nginx', ID_NGINX],
    ['istio-proxy', ID_SIDECAR],
  ]);
  pod('data', 'postgres-0', UID_DB, [['postgres', null]]); // its log link is not made yet
  mkdirSync(join(podsDir, 'lost+found'));
  return { podsDir, containersDir };
}

function proc(cgroupLeaf: string, uid: string, fullId: string): ProcessInfo {
  const base = sampleEvent({}).proc;
  const cgroup = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice/${cgroupLeaf}-${fullId}.scope`;
  return { ...base, cgroup, container_id: fullId.slice(0, 12) };
}

test('directory names parse as <namespace>_<pod>_<uid>, other names do not', () => {
  assert.deepEqual(parsePodDirName(`kube-system_coredns-5d78c9869d-abcde_${UID_WEB}`), {
    uid: UID_WEB,
    name: 'coredns-5d78c9869d-abcde',
    namespace: 'kube-system',
  });
  for (const bad of [
    'lost+found',
    `a_b_c_${UID_WEB}`,
    `_pod_${UID_WEB}`,
    'ns_pod_not-a-uid',
    `ns__${UID_WEB}`,
  ])
    assert.equal(parsePodDirName(bad), null, bad);
});

test('a pod is found by uid; each container of a pod of several is named by its log link', () => {
  const pods = new PodDirectory(node('n1'));
  const web = pods.pod(UID_WEB);
  assert.deepEqual(web, { uid: UID_WEB, name: 'web-7d9f8c6b5-x2x4z', namespace: 'shop' });
  assert.equal(pods.containerName(web!, ID_NGINX), 'nginx');
  assert.equal(pods.containerName(web!, ID_SIDECAR), 'istio-proxy');
  assert.equal(pods.containerName(web!, 'd'.repeat(64)), undefined, 'no link, two containers: unknown');
  const db = pods.pod(UID_DB)!;
  assert.equal(pods.containerName(db, ID_PG), 'postgres', 'the only container of its pod');
  assert.equal(pods.size, 2, 'lost+found is not a pod');
});

test('a miss lists the directory again (rate-limited per uid); a pod whose directory went is dropped', () => {
  const dirs = node('n2');
  let now = 1_000_000;
  const pods = new PodDirectory({ ...dirs, retryMs: 5000, now: () => now });
  assert.ok(pods.pod(UID_WEB));
  assert.equal(pods.scans, 1);
  assert.ok(pods.pod(UID_DB));
  assert.equal(pods.scans, 1, 'both pods came with the first listing');

  const NEW = '11111111-2222-4333-8444-555555555555';
  assert.equal(pods.pod(NEW), undefined);
  assert.equal(pods.scans, 2);
  mkdirSync(join(dirs.podsDir, `shop_cart-0_${NEW}`, 'cart'), { recursive: true });
  assert.equal(pods.pod(NEW), undefined, 'within the retry interval the miss stands');
  assert.equal(pods.scans, 2);
  now += 5000;
  rmSync(join(dirs.podsDir, `data_postgres-0_${UID_DB}`), { recursive: true });
  assert.equal(pods.pod(NEW)?.name, 'cart-0');
  assert.equal(pods.scans, 3);
  assert.equal(pods.size, 2, 'the deleted pod went with the listing');
  assert.equal(pods.pod(UID_WEB)?.namespace, 'shop');
  assert.equal(pods.scans, 3);
});

test('the table is bounded', () => {
  const podsDir = join(root, 'many', 'pods');
  for (let i = 0; i < 20; i++) {
    const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    mkdirSync(join(podsDir, `ns_p${i}_${uid}`), { recursive: true });
  }
  const pods = new PodDirectory({ podsDir, containersDir: '', maxPods: 8 });
  pods.pod('00000000-0000-4000-8000-000000000000');
  assert.equal(pods.size, 8);
});

test('no kubelet directory (not a node, or not mounted): no pod, no error', () => {
  const pods = new PodDirectory({ podsDir: join(root, 'absent'), containersDir: join(root, 'absent2') });
  assert.equal(pods.pod(UID_WEB), undefined);
  const off = new PodDirectory({ podsDir: '', containersDir: '' });
  assert.equal(off.pod(UID_WEB), undefined);
  assert.equal(off.scans, 0);
});

test('catalog: one object per container, the pod and container name in it; host and plain containers', () => {
  const dirs = node('n3');
  let now = 0;
  const pods = new PodDirectory({ ...dirs, retryMs: 1000, now: () => now });
  const catalog = new ContainerCatalog(pods);
  const nginx = catalog.of(proc('cri-containerd', UID_WEB, ID_NGINX));
  assert.deepEqual(nginx, {
    id: ID_NGINX.slice(0, 12),
    type: 'containerd',
    name: 'nginx',
    pod: { uid: UID_WEB, name: 'web-7d9f8c6b5-x2x4z', namespace: 'shop' },
  });
  assert.equal(catalog.of(proc('cri-containerd', UID_WEB, ID_NGINX)), nginx, 'shared, not rebuilt');
  assert.equal(catalog.of({ ...sampleEvent({}).proc, container_id: '', cgroup: '/' }), undefined);
  const docker = { ...sampleEvent({}).proc, container_id: ID_PG.slice(0, 12), cgroup: `/docker/${ID_PG}` };
  assert.deepEqual(catalog.of(docker), { id: ID_PG.slice(0, 12), type: 'docker' });

  // A container of a pod of several whose log link is not there yet: pod now, name once it appears.
  const LATE = 'e'.repeat(64);
  const first = catalog.of(proc('crio', UID_WEB, LATE));
  assert.deepEqual(first, { id: LATE.slice(0, 12), type: 'cri-o', pod: nginx!.pod });
  symlinkSync('/dev/null', join(dirs.containersDir, `web-7d9f8c6b5-x2x4z_shop_istio-proxy-${LATE}.log`));
  assert.equal(catalog.of(proc('crio', UID_WEB, LATE)), first, 'not before the retry interval');
  now += 1000;
  const later = catalog.of(proc('crio', UID_WEB, LATE));
  assert.equal(later?.name, 'istio-proxy');
  assert.equal('name' in first!, false, 'the object earlier events hold is unchanged');
});

test('catalog without a pod directory nor a runtime: container ids and type only', () => {
  const catalog = new ContainerCatalog(null);
  assert.deepEqual(catalog.of(proc('cri-containerd', UID_WEB, ID_NGINX)), {
    id: ID_NGINX.slice(0, 12),
    type: 'containerd',
  });
});

test('doctor: what pod metadata alerts will carry here', () => {
  const { podsDir } = node('n4');
  const env = { VIGIL_NODE_NAME: 'node-7', VIGIL_POD_NAME: 'vigil-x1', VIGIL_POD_NAMESPACE: 'vigil' };
  const on = podSourceReport(podsDir, env);
  assert.equal(on.detail, `agent pod vigil/vigil-x1 on node node-7; 2 pods in ${podsDir}`);
  assert.match(
    on.meaning,
    /namespace, pod name and uid, container name; labels, image and privileged flag come from/,
  );
  const off = podSourceReport(join(root, 'absent'), {});
  assert.equal(off.detail, `no kubelet pod directory at ${join(root, 'absent')}`);
  assert.match(off.meaning, /container ids only/);
});

test('a recorded event keeps its pod: replay reads it back, the text line of vigil events shows it', () => {
  const pod = { uid: UID_WEB, name: 'web-0', namespace: 'shop' };
  const recorded = sampleEvent({
    type: 'execve',
    proc: { container_id: ID_NGINX.slice(0, 12) },
    container: { id: ID_NGINX.slice(0, 12), name: 'nginx', pod },
  });
  const back = parseEventLine(eventToJson(recorded))!;
  assert.deepEqual(back.container, recorded.container);
  assert.equal(lookupField('k8s.ns.name')!.bind(undefined)(back), 'shop');
  assert.match(formatEventLine(back), / container=aaaaaaaaaaaa pod=shop\/web-0$/);
});
