/**
 * The guest's initramfs: busybox (static), init.sh as /init, and the modules the guest needs with
 * their load order. Built in memory (a few MB) and stored under <cache>/initramfs/<sha256>.cpio,
 * so an unchanged image is written once and a changed init.sh or kernel gets a new one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/config/paths.js';
import { cacheDir, cacheScratch } from './cache.js';
import { cpioArchive, type CpioEntry } from './cpio.js';
import type { GuestKernel } from './kernel.js';
import { builtinModules, GUEST_MODULE_ROOTS, loadOrder, moduleDepends } from './modules.js';

export const BUSYBOX = '/bin/busybox';
const APPLETS = [
  'sh',
  'mount',
  'umount',
  'insmod',
  'mkdir',
  'cat',
  'mv',
  'switch_root',
  'ifconfig',
  'hostname',
  'sync',
  'poweroff',
  'reboot',
  'sleep',
];
const PT_INTERP = 3;

export function initScript(): string {
  return join(packageRoot(), 'test', 'vm', 'harness', 'init.sh');
}

/** True when an ELF executable asks for a dynamic loader (it cannot run alone in an initramfs). */
export function isDynamicElf(elf: Buffer): boolean {
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return true;
  }
  return false;
}

/** The modules of `kernel` the guest loads, in load order. */
export function guestModules(kernel: GuestKernel): string[] {
  const file = (name: string) => join(kernel.modulesDir, `${name}.ko`);
  return loadOrder(
    GUEST_MODULE_ROOTS,
    (name) => (existsSync(file(name)) ? moduleDepends(readFileSync(file(name))) : null),
    builtinModules(readFileSync(kernel.builtin, 'utf8')),
  );
}

export function initramfsEntries(kernel: GuestKernel): CpioEntry[] {
  const busybox = readFileSync(BUSYBOX);
  if (isDynamicElf(busybox)) throw new Error(`${BUSYBOX} is dynamically linked: install busybox-static`);
  const modules = guestModules(kernel);
  return [
    ...['bin', 'dev', 'proc', 'sys', 'lib', 'lib/modules'].map((path): CpioEntry => ({ type: 'dir', path })),
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'init', data: readFileSync(initScript()), mode: 0o755 },
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    ...APPLETS.map((applet): CpioEntry => ({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' })),
    ...modules.map((name): CpioEntry => ({
      type: 'file',
      path: `lib/modules/${name}.ko`,
      data: readFileSync(join(kernel.modulesDir, `${name}.ko`)),
    })),
    { type: 'file', path: 'lib/modules/order', data: Buffer.from(modules.join('\n') + '\n') },
  ];
}

/** The initramfs image for `kernel`, built when its content is new. */
export function ensureInitramfs(kernel: GuestKernel): string {
  const archive = cpioArchive(initramfsEntries(kernel));
  const hash = createHash('sha256').update(archive).digest('hex').slice(0, 32);
  const dir = join(cacheDir(), 'initramfs');
  const path = join(dir, `${hash}.cpio`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const scratch = cacheScratch('initramfs');
  try {
    writeFileSync(join(scratch, 'image.cpio'), archive);
    renameSync(join(scratch, 'image.cpio'), path);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return path;
}
