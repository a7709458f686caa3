import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerFromCgroup } from '../../src/sensor/cgroup-container.js';

const ID = '3f4b2c1d5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c';
const SHORT = ID.slice(0, 12);

const CASES: [string, string, string, string][] = [
  // [cgroup path, id, runtime, pod uid]
  [`/docker/${ID}`, SHORT, 'docker', ''],
  [`/system.slice/docker-${ID}.scope`, SHORT, 'docker', ''],
  [`/user.slice/user-1000.slice/user@1000.service/app.slice/docker-${ID}.scope`, SHORT, 'docker', ''],
  [`/docker/${ID}/init.scope`, SHORT, 'docker', ''],
  [
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c8a3c2e_4b1f_4d1a_9a43_2b6e0a0c9f11.slice/cri-containerd-${ID}.scope`,
    SHORT,
    'containerd',
    '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11',
  ],
  [
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0c8a3c2e_4b1f_4d1a_9a43_2b6e0a0c9f11.slice/crio-${ID}.scope`,
    SHORT,
    'cri-o',
    '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11',
  ],
  [
    `/kubepods.slice/kubepods-pod0c8a3c2e_4b1f_4d1a_9a43_2b6e0a0c9f11.slice/cri-containerd-${ID}.scope`,
    SHORT,
    'containerd',
    '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11',
  ],
  [
    `/kubepods/besteffort/pod0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11/${ID}`,
    SHORT,
    'containerd',
    '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11',
  ],
  [
    `/kubepods/burstable/pod0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11/${ID}`,
    SHORT,
    'containerd',
    '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11',
  ],
  [
    `/kubepods/pod0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11/${ID}`,
    SHORT,
    'containerd',
    '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11',
  ],
  [`/machine.slice/libpod-${ID}.scope`, SHORT, 'podman', ''],
  [`/machine.slice/libpod-${ID}.scope/container`, SHORT, 'podman', ''],
  [`/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`, SHORT, 'podman', ''],
  [`/system.slice/crio-${ID}.scope`, SHORT, 'cri-o', ''],
  [`/default/${ID}`, SHORT, 'containerd', ''],
  [`/ecs/8a3b1c2d4e5f6a7b8c9d0e1f2a3b4c5d/${ID}`, SHORT, 'containerd', ''],
  [`/lxc/web01`, 'web01', 'lxc', ''],
  [`/lxc.payload.web01`, 'web01', 'lxc', ''],
];

const HOST_PATHS = [
  '',
  '/',
  '/init.scope',
  '/system.slice/sshd.service',
  '/user.slice/user-0.slice/session-3.scope',
  '/system.slice/containerd.service',
  '/system.slice/docker.service',
  `/machine.slice/libpod-conmon-${ID}.scope`,
  `/system.slice/crio-conmon-${ID}.scope`,
  // not 64 hex: a short id or an uppercase one is not a container id
  `/docker/${SHORT}`,
  `/docker/${ID.toUpperCase()}`,
  `/system.slice/docker-${ID}x.scope`,
  '/kubepods.slice/kubepods-burstable.slice',
];

test('container ids from real-world cgroup layouts', () => {
  for (const [path, id, runtime, pod] of CASES) {
    const c = containerFromCgroup(path);
    assert.equal(c.id, id, path);
    assert.equal(c.runtime, runtime, path);
    assert.equal(c.podUid, pod, path);
    if (runtime !== 'lxc') assert.equal(c.fullId, ID, path);
  }
});

test('host cgroups have no container id', () => {
  for (const path of HOST_PATHS) assert.equal(containerFromCgroup(path).id, '', path);
});
