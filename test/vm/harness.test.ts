/**
 * The VM harness's parts that need no VM (the VM itself is exercised by `npm run test:vm`):
 * initramfs archive (read back by busybox cpio), kernel unpacking (payloads made by the real xz
 * and zstd), module load order, apt package choice, the guest command script (run by the real
 * /bin/sh) and the dev_t conversion (checked against /proc/self/mountinfo).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpioArchive } from './harness/cpio.js';
import { bzImagePayload, extractVmlinux } from './harness/bzimage.js';
import { builtinModules, loadOrder, moduleDepends, moduleName } from './harness/modules.js';
import { compareVersions, newestPackage, packageSeries } from './harness/kernel.js';
import { isDynamicElf } from './harness/initramfs.js';
import { commandScript } from './harness/vm.js';
import { TailBuffer } from './harness/tail.js';
import { kernelDev } from './guest/guest.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-vm-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('cpio: busybox cpio reads back directories, files, symlinks and device nodes', (t) => {
  const dir = scratch(t);
  const archive = cpioArchive([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/hello', data: Buffer.from('hello, initramfs\n'), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'hello' },
    { type: 'chardev', path: 'console', major: 5, minor: 1 },
    { type: 'file', path: 'odd', data: Buffer.from('abc') },
  ]);
  const listing = execFileSync('busybox', ['cpio', '-tv'], { input: archive, encoding: 'utf8' });
  assert.match(listing, /^drwxr-xr-x 0\/0 +0 .* bin$/m);
  assert.match(listing, /^-rwxr-xr-x 0\/0 +17 .* bin\/hello$/m);
  assert.match(listing, /^lrwxrwxrwx 0\/0 +\d+ .* bin\/sh -> hello$/m);
  assert.match(listing, /^crw------- 0\/0 .* console$/m);
  // Creating the device node needs root (as the VM tests do).
  if (process.getuid?.() === 0) {
    execFileSync('busybox', ['cpio', '-i', '-d'], { input: archive, cwd: dir });
    assert.equal(readFileSync(join(dir, 'bin', 'hello'), 'utf8'), 'hello, initramfs\n');
    assert.equal(readFileSync(join(dir, 'odd'), 'utf8'), 'abc');
    assert.equal(readlinkSync(join(dir, 'bin', 'sh')), 'hello');
    assert.equal(statSync(join(dir, 'console')).rdev, (5 << 8) | 1);
  }
  assert.deepEqual(cpioArchive([{ type: 'dir', path: 'x' }]), cpioArchive([{ type: 'dir', path: 'x' }]));
});

for (const [tool, argv] of [
  ['xz', ['xz', '-c', '--check=crc32']],
  ['zstd', ['zstd', '-c', '-q']],
] as const) {
  test(`bzImage: the ${tool} payload is found by the boot header and unpacked`, async (t) => {
    const dir = scratch(t);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(5000, 7)]);
    const compressed = execFileSync(argv[0], argv.slice(1), { input: elf });
    const setupSects = 2;
    const payloadOffset = 0x40;
    const start = (setupSects + 1) * 512 + payloadOffset;
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(elf.length);
    const image = Buffer.concat([Buffer.alloc(start), compressed, trailer, Buffer.alloc(100)]);
    image[0x1f1] = setupSects;
    image.write('HdrS', 0x202, 'latin1');
    image.writeUInt32LE(payloadOffset, 0x248);
    image.writeUInt32LE(compressed.length + 4, 0x24c);
    writeFileSync(join(dir, 'bzImage'), image);
    await extractVmlinux(join(dir, 'bzImage'), join(dir, 'vmlinux'));
    assert.deepEqual(readFileSync(join(dir, 'vmlinux')), elf);

    trailer.writeUInt32LE(elf.length + 1);
    trailer.copy(image, start + compressed.length);
    writeFileSync(join(dir, 'bzImage'), image);
    await assert.rejects(extractVmlinux(join(dir, 'bzImage'), join(dir, 'vmlinux')), /trailer says/);
  });
}

test('bzImage: anything else is refused with a reason', () => {
  assert.throws(() => bzImagePayload(Buffer.alloc(4096)), /no HdrS/);
  const image = Buffer.alloc(4096);
  image.write('HdrS', 0x202, 'latin1');
  image.writeUInt32LE(16, 0x24c);
  assert.throws(() => bzImagePayload(image), /compressed with none of xz,zstd/);
});

test('modules: names, .modinfo depends, dependencies first, built-ins skipped, gaps and cycles refused', () => {
  assert.equal(moduleName('kernel/fs/9p/9p.ko.xz'), '9p');
  assert.equal(moduleName('drivers/char/hw_random/virtio-rng.ko'), 'virtio_rng');
  const ko = Buffer.concat([
    Buffer.from('\x7fELF junk depends=not,this\0'),
    Buffer.from('license=GPL\0depends=netfs,9pnet,virtio-ring\0intree=Y\0'),
  ]);
  assert.deepEqual(moduleDepends(ko), ['netfs', '9pnet', 'virtio_ring']);
  assert.deepEqual(moduleDepends(Buffer.from('license=GPL\0depends=\0')), []);

  const graph: Record<string, string[]> = {
    virtio_pci: ['virtio', 'virtio_ring', 'virtio_pci_modern_dev'],
    virtio: [],
    virtio_ring: [],
    virtio_pci_modern_dev: [],
    '9pnet_virtio': ['9pnet', 'virtio', 'virtio_ring'],
    '9pnet': [],
    '9p': ['9pnet', 'netfs'],
    netfs: [],
    overlay: [],
  };
  const depends = (name: string) => graph[name] ?? null;
  const builtin = builtinModules('kernel/lib/crc32.ko\n');
  const order = loadOrder(['virtio_pci', '9pnet_virtio', '9p', 'overlay'], depends, builtin);
  assert.equal(order.length, Object.keys(graph).length);
  for (const [name, deps] of Object.entries(graph)) {
    for (const dep of deps) assert.ok(order.indexOf(dep) < order.indexOf(name), `${dep} before ${name}`);
  }
  assert.deepEqual(
    loadOrder(['a'], (n) => (n === 'a' ? ['crc32'] : null), builtin),
    ['a'],
  );
  assert.throws(() => loadOrder(['a'], (n) => (n === 'a' ? ['gone'] : null), builtin), /gone .*needed by a/);
  assert.throws(() => loadOrder(['a'], (n) => (n === 'a' ? ['b'] : ['a']), builtin), /cycle: a -> b -> a/);
});

test('kernel choice: the newest generic amd64 image of a series', () => {
  const names = [
    'linux-image-6.1.0-9-amd64',
    'linux-image-6.1.0-56-amd64',
    'linux-image-6.1.0-56-cloud-amd64',
    'linux-image-6.1.0-57-rt-amd64',
    'linux-image-6.1.0-56-amd64-dbg',
    'linux-image-6.1.0-56-amd64-unsigned',
    'linux-image-6.12.9+deb12-amd64',
    'linux-image-6.12.117+deb12-amd64',
    'linux-image-6.12.113+deb12-amd64',
    'linux-image-amd64',
  ];
  assert.equal(newestPackage(names, '6.1'), 'linux-image-6.1.0-56-amd64');
  assert.equal(newestPackage(names, '6.12'), 'linux-image-6.12.117+deb12-amd64');
  assert.equal(newestPackage(names, '5.10'), null);
  assert.equal(packageSeries('linux-image-6.12.117+deb12-cloud-amd64'), null);
  assert.ok(compareVersions('6.1.0-9-amd64', '6.1.0-10-amd64') < 0);
  assert.ok(compareVersions('6.12.117+deb12', '6.12.113+deb12') > 0);
});

test('command script: /bin/sh runs exactly the argv, in the directory, with the environment', (t) => {
  const dir = scratch(t);
  const tricky = [`it's`, '$HOME', '`id`', 'a\nb', '"q"', '\\', '*', ''];
  const program =
    'process.stdout.write(JSON.stringify([process.argv.slice(1), process.cwd(), process.env.X]))';
  const script = commandScript([process.execPath, '-e', program, ...tricky], dir, { X: `$(id) 'x'` });
  writeFileSync(join(dir, 'command.sh'), script);
  const out = execFileSync('/bin/sh', [join(dir, 'command.sh')], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [tricky, dir, `$(id) 'x'`]);
  assert.throws(() => commandScript(['true'], dir, { 'A;B': '1' }), /bad environment variable name/);
  assert.throws(() => commandScript([], dir, {}), /empty command/);
});

test('busybox for the initramfs is static', () => {
  assert.equal(isDynamicElf(readFileSync('/bin/busybox')), false, 'install busybox-static');
  assert.equal(isDynamicElf(readFileSync(process.execPath)), true);
});

test('tail buffer keeps the end and says how much it dropped', () => {
  const tail = new TailBuffer(10);
  for (const chunk of ['0123', '4567', '89ab', 'cdef']) tail.push(Buffer.from(chunk));
  assert.equal(tail.text(), '[... 6 bytes dropped ...]\n6789abcdef');
  const small = new TailBuffer(100);
  small.push(Buffer.from('all of it'));
  assert.equal(small.text(), 'all of it');
});

test("kernelDev: stat's st_dev in the kernel's encoding, as /proc/self/mountinfo prints it", () => {
  const root = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[4] === '/');
  assert.ok(root, 'the root mount in mountinfo');
  const [major, minor] = root[2].split(':').map(Number);
  assert.equal(kernelDev('/'), ((major << 20) | minor) >>> 0);
});
