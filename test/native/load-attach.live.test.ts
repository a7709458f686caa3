// Loading and attaching against the real kernel: verifier rejections, autoload, every attach
// kind, and that detach/close (and process exit) leave nothing attached.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker, type WorkerOptions } from 'node:worker_threads';

import {
  BpfError,
  BpfObject,
  probeHelper,
  probeMapType,
  probeProgramType,
} from '../../src/kernel/bpf-object.js';
import { requireLive } from '../support/live.js';
import {
  SyscallLoop,
  ensureTracefs,
  fixture,
  kernelProgramIds,
  linksOfPrograms,
  stillLoaded,
} from './support.js';
import { packageRoot } from '../../src/config/paths.js';

const KINDS = ['tp_getppid', 'raw_enter', 'rawtp_exit', 'btf_enter', 'lsm_open', 'cg_connect4', 'core_read'];

/** attach-kinds.bpf.o with only these programs loaded. */
function openKinds(...programs: string[]): BpfObject {
  ensureTracefs();
  const autoload = Object.fromEntries(KINDS.map((name) => [name, programs.includes(name)]));
  return BpfObject.open(fixture('attach-kinds'), { autoload });
}

function runs(object: BpfObject, index: number): bigint {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(index);
  return object.mapLookup('runs', key)?.readBigUInt64LE(0) ?? 0n;
}

function programId(object: BpfObject, name: string): number {
  const id = object.programs().find((p) => p.name === name)?.id;
  assert.ok(typeof id === 'number', `${name} has no kernel id`);
  return id;
}

function cgroup2Mount(): string {
  const line = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  assert.ok(line, 'no cgroup2 mount');
  return line.split(' ')[1];
}

async function connectOnce(): Promise<void> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end());
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  await new Promise((resolve) => server.close(resolve));
}

async function triggerSyscalls(): Promise<void> {
  const loop = await SyscallLoop.start('getppid');
  await loop.run(10);
  await loop.stop();
}

test('a program the verifier rejects is a BpfError carrying the verifier log', (t) => {
  if (!requireLive(t)) return;
  const object = BpfObject.open(fixture('verifier-reject'));
  try {
    assert.throws(
      () => object.load(),
      (e: unknown) => {
        assert.ok(e instanceof BpfError);
        assert.equal(e.code, 'EACCES');
        assert.equal(e.errno, 13);
        assert.match(e.op, /^load /);
        assert.match(e.libbpfLog, /oob_read/);
        assert.match(e.verifierLog ?? '', /invalid access to map value/);
        return true;
      },
    );
  } finally {
    object.close();
  }
});

test('autoload=false leaves a program out of the kernel', (t) => {
  if (!requireLive(t)) return;
  const object = BpfObject.open(fixture('verifier-reject'), { autoload: { oob_read: false } });
  try {
    object.load();
    const programs = new Map(object.programs().map((p) => [p.name, p]));
    assert.equal(programs.get('oob_read')?.loaded, false);
    assert.equal(programs.get('oob_read')?.id, null);
    assert.equal(programs.get('fine')?.loaded, true);
    assert.deepEqual(kernelProgramIds('oob_read'), []);
    assert.ok(kernelProgramIds('fine').includes(programId(object, 'fine')));
    assert.throws(() => object.attach('oob_read'), { code: 'EINVAL', message: /not loaded/ });
  } finally {
    object.close();
  }
});

for (const [name, section, index] of [
  ['tp_getppid', 'tracepoint', 0],
  ['raw_enter', 'raw_tracepoint', 1],
  ['rawtp_exit', 'raw_tp', 2],
  ['btf_enter', 'tp_btf', 3],
] as const) {
  test(`a ${section} program attaches, runs, and detaches`, async (t) => {
    if (!requireLive(t)) return;
    const object = openKinds(name);
    try {
      object.load();
      const id = programId(object, name);
      const link = object.attach(name);
      assert.deepEqual(object.links(), [{ id: link, program: name }]);
      assert.equal(linksOfPrograms([id]).length, 1);
      await triggerSyscalls();
      assert.ok(runs(object, index) > 0n, `${name} did not run`);
      object.detach(link);
      assert.deepEqual(object.links(), []);
      assert.deepEqual(linksOfPrograms([id]), []);
    } finally {
      object.close();
    }
  });
}

test('a cgroup program attaches to a cgroup v2 directory and sees connect()', async (t) => {
  if (!requireLive(t)) return;
  const object = openKinds('cg_connect4');
  try {
    object.load();
    assert.throws(() => object.attach('cg_connect4'), { code: 'EINVAL', message: /cgroupPath/ });
    assert.throws(() => object.attach('cg_connect4', { cgroupPath: '/nonexistent/cgroup' }), {
      code: 'ENOENT',
    });
    const id = programId(object, 'cg_connect4');
    const link = object.attach('cg_connect4', { cgroupPath: cgroup2Mount() });
    assert.equal(linksOfPrograms([id]).length, 1);
    await connectOnce();
    assert.ok(runs(object, 5) > 0n, 'cg_connect4 did not run');
    object.detach(link);
    assert.deepEqual(linksOfPrograms([id]), []);
  } finally {
    object.close();
  }
});

test('an LSM program attaches where the kernel allows BPF LSM, else load is a BpfError', async (t) => {
  if (!requireLive(t)) return;
  const object = openKinds('lsm_open');
  try {
    if (probeProgramType('lsm')) {
      object.load();
      object.attach('lsm_open');
      readFileSync('/etc/hostname');
      assert.ok(runs(object, 4) > 0n, 'lsm_open did not run');
    } else {
      assert.throws(
        () => object.load(),
        (e: unknown) => e instanceof BpfError && e.errno > 0,
      );
    }
  } finally {
    object.close();
  }
});

test('attach and detach of unknown names and ids are BpfErrors', (t) => {
  if (!requireLive(t)) return;
  const object = openKinds('raw_enter');
  try {
    object.load();
    assert.throws(() => object.attach('nope'), { name: 'BpfError', code: 'ENOENT' });
    assert.throws(() => object.attach('raw_enter', { cgroupPath: '/sys/fs/cgroup' }), { code: 'EINVAL' });
    assert.throws(() => object.detach(999), { name: 'BpfError', code: 'ENOENT' });
  } finally {
    object.close();
  }
});

test('close() detaches every link and unloads every program', async (t) => {
  if (!requireLive(t)) return;
  const names = ['tp_getppid', 'raw_enter', 'rawtp_exit', 'btf_enter', 'cg_connect4'];
  const object = openKinds(...names);
  object.load();
  const ids = names.map((name) => programId(object, name));
  for (const name of names) {
    object.attach(name, name === 'cg_connect4' ? { cgroupPath: cgroup2Mount() } : undefined);
  }
  assert.equal(linksOfPrograms(ids).length, names.length);
  object.close();
  assert.deepEqual(linksOfPrograms(ids), []);
  assert.deepEqual(await stillLoaded(ids), []);
});

test('a process that exits with objects open and a reader running leaves nothing behind', async (t) => {
  if (!requireLive(t)) return;
  const script = `
    import { BpfObject } from ${JSON.stringify(join(packageRoot(), 'src', 'kernel', 'bpf-object.ts'))};
    const object = BpfObject.open(${JSON.stringify(fixture('ring'))});
    object.load();
    object.openRingBuffer('events', () => {});
    object.attach('on_getppid');
    console.log(object.programs().find((p) => p.name === 'on_getppid').id);
    process.exit(0);
  `;
  ensureTracefs();
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  const id = Number(child.stdout.trim());
  assert.ok(id > 0, child.stdout);
  assert.deepEqual(linksOfPrograms([id]), []);
  assert.deepEqual(await stillLoaded([id]), []);
});

test('a worker terminated with a reader running stops it and leaves nothing behind', async (t) => {
  if (!requireLive(t)) return;
  ensureTracefs();
  // This file runs as .ts (tsx) in development and as compiled .js in `make test`.
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const facade = new URL(`../../src/kernel/bpf-object.${extension}`, import.meta.url).href;
  const code = `
    if (${extension === 'ts'}) (await import('tsx/esm/api')).register();
    const { BpfObject } = await import(${JSON.stringify(facade)});
    const { parentPort } = await import('node:worker_threads');
    const object = BpfObject.open(${JSON.stringify(fixture('ring'))});
    object.load();
    object.openRingBuffer('events', () => {});
    object.attach('on_getppid');
    parentPort.postMessage(object.programs().find((p) => p.name === 'on_getppid').id);
    setInterval(() => {}, 1000);
  `;
  const worker = new Worker(code, { eval: true, type: 'module' } as WorkerOptions);
  const [id] = (await once(worker, 'message')) as [number];
  assert.equal(linksOfPrograms([id]).length, 1);
  await worker.terminate();
  assert.deepEqual(linksOfPrograms([id]), []);
  assert.deepEqual(await stillLoaded([id]), []);
});

test('probes pass libbpf feature checks through', (t) => {
  if (!requireLive(t)) return;
  assert.equal(probeProgramType('tracepoint'), true);
  assert.equal(probeMapType('ringbuf'), true);
  assert.equal(probeHelper('tracepoint', 1), true); // bpf_map_lookup_elem
  assert.throws(() => probeProgramType('no_such_type'), RangeError);
});

test('btfCustomPath: CO-RE against the kernel BTF given explicitly; a missing file fails the load', (t) => {
  if (!requireLive(t)) return;
  const autoload = Object.fromEntries(KINDS.map((name) => [name, name === 'core_read']));
  const good = BpfObject.open(fixture('attach-kinds'), {
    autoload,
    btfCustomPath: '/sys/kernel/btf/vmlinux',
  });
  try {
    good.load();
  } finally {
    good.close();
  }
  const bad = BpfObject.open(fixture('attach-kinds'), { autoload, btfCustomPath: '/nonexistent/vmlinux' });
  try {
    assert.throws(
      () => bad.load(),
      (e: unknown) => e instanceof BpfError && e.code === 'ENOENT',
    );
  } finally {
    bad.close();
  }
});

test('reuseMaps: two objects share one map', (t) => {
  if (!requireLive(t)) return;
  const first = BpfObject.open(fixture('ring'));
  const unloaded = BpfObject.open(fixture('ring'));
  try {
    first.load();
    assert.throws(() => BpfObject.open(fixture('ring'), { reuseMaps: { scratch: unloaded } }), {
      code: 'EINVAL',
    });
    const second = BpfObject.open(fixture('ring'), { reuseMaps: { scratch: first, events: first } });
    try {
      second.load();
      const key = Buffer.from([1, 0, 0, 0]);
      second.mapUpdate('scratch', key, Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]));
      assert.deepEqual(first.mapLookup('scratch', key), Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]));
    } finally {
      second.close();
    }
  } finally {
    first.close();
    unloaded.close();
  }
});
