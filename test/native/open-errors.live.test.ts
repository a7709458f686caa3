// Opening objects needs neither root nor BPF: these run everywhere the addon is built.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { BpfError, BpfObject, libbpfVersion, numPossibleCpus } from '../../src/kernel/bpf-object.js';
import { fixture } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-native-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openError(path: string): BpfError {
  try {
    BpfObject.open(path).close();
  } catch (e) {
    assert.ok(e instanceof BpfError, `expected a BpfError, got ${String(e)}`);
    assert.equal(typeof e.errno, 'number');
    assert.ok(e.errno > 0);
    assert.ok(e.message.includes(path), e.message);
    return e;
  }
  assert.fail(`opening ${path} succeeded`);
}

/** Offset and size of an ELF64 section, found by name. */
function section(elf: Buffer, name: string): { offset: number; size: number } {
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const strtab = shoff + elf.readUInt16LE(0x3e) * shentsize;
  const strOffset = Number(elf.readBigUInt64LE(strtab + 0x18));
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    const nameAt = strOffset + elf.readUInt32LE(sh);
    if (elf.toString('latin1', nameAt, elf.indexOf(0, nameAt)) === name) {
      return { offset: Number(elf.readBigUInt64LE(sh + 0x18)), size: Number(elf.readBigUInt64LE(sh + 0x20)) };
    }
  }
  throw new Error(`no section ${name}`);
}

test('a missing file is a BpfError ENOENT', () => {
  const e = openError(join(dir, 'missing.bpf.o'));
  assert.equal(e.code, 'ENOENT');
  assert.equal(e.errno, 2);
  assert.match(e.op, /^open /);
});

test('a directory is a BpfError EISDIR', () => {
  assert.equal(openError(dir).code, 'EISDIR');
});

test('a file that is not ELF is a format error with libbpf message', () => {
  const path = join(dir, 'text.bpf.o');
  writeFileSync(path, 'not an object file\n');
  const e = openError(path);
  assert.equal(e.code, 'LIBBPF_ERRNO__FORMAT');
  assert.match(e.libbpfLog, /not a proper ELF object/);
  assert.ok(e.message.includes(e.libbpfLog));
});

test('an ELF file that is not a BPF object is a format error', () => {
  assert.equal(openError('/bin/sh').code, 'LIBBPF_ERRNO__FORMAT');
});

test('a truncated object is an error at every cut', () => {
  const image = readFileSync(fixture('ring'));
  const path = join(dir, 'truncated.bpf.o');
  const cuts = [0, 4, 16, 63, 64, 512, image.length >> 1, image.length - 64, image.length - 1];
  for (const cut of cuts) {
    writeFileSync(path, image.subarray(0, cut));
    openError(path);
  }
});

test('a corrupt .BTF section is an error or a successful open, never a crash', () => {
  // libbpf 1.1 segfaults on some of these; the addon opens them in a child process first.
  const image = readFileSync(fixture('ring'));
  const btf = section(image, '.BTF');
  const path = join(dir, 'corrupt.bpf.o');
  let seed = 1;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let errors = 0;
  for (let i = 0; i < 48; i++) {
    const copy = Buffer.from(image);
    copy[btf.offset + random(btf.size)] = [0, 0xff, random(256)][i % 3];
    writeFileSync(path, copy);
    try {
      BpfObject.open(path).close();
    } catch (e) {
      assert.ok(e instanceof BpfError, String(e));
      errors++;
    }
  }
  assert.ok(errors > 0, 'no corruption was detected at all');
});

test('an unknown program or map in the open options is a BpfError ENOENT', () => {
  const path = fixture('ring');
  for (const options of [{ autoload: { nope: false } }, { mapMaxEntries: { nope: 4096 } }]) {
    assert.throws(
      () => BpfObject.open(path, options),
      (e: unknown) => e instanceof BpfError && e.code === 'ENOENT' && /'nope'/.test(e.message),
    );
  }
});

test('programs and maps are listed before load', () => {
  const object = BpfObject.open(fixture('ring'), { mapMaxEntries: { events: 1 << 16 } });
  try {
    assert.equal(object.loaded, false);
    const programs = object.programs();
    assert.deepEqual(
      programs.map((p) => [p.name, p.section, p.type, p.autoload, p.loaded, p.id]),
      [
        ['on_getppid', 'tracepoint/syscalls/sys_enter_getppid', 'tracepoint', true, false, null],
        ['on_burst', 'tracepoint/syscalls/sys_enter_getpriority', 'tracepoint', true, false, null],
      ],
    );
    const maps = new Map(object.maps().map((m) => [m.name, m]));
    assert.deepEqual(maps.get('events'), {
      name: 'events',
      type: 'ringbuf',
      keySize: 0,
      valueSize: 0,
      maxEntries: 1 << 16,
    });
    assert.deepEqual(maps.get('hits'), {
      name: 'hits',
      type: 'percpu_array',
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
    });
  } finally {
    object.close();
  }
});

test('every method throws EBADF after close, and close is idempotent', () => {
  const object = BpfObject.open(fixture('ring'));
  object.close();
  object.close();
  assert.equal(object.closed, true);
  const key = Buffer.alloc(4);
  const calls: Array<() => unknown> = [
    () => object.load(),
    () => object.programs(),
    () => object.maps(),
    () => object.attach('on_getppid'),
    () => object.detach(1),
    () => object.links(),
    () => object.openRingBuffer('events', () => {}),
    () => object.ringBufferStats(),
    () => object.mapLookup('hits', key),
    () => object.mapLookupPercpu('hits', key),
    () => object.mapUpdate('scratch', key, Buffer.alloc(8)),
    () => object.mapDelete('scratch', key),
    () => object.mapKeys('scratch'),
  ];
  for (const call of calls) {
    assert.throws(call, (e: unknown) => e instanceof BpfError && e.code === 'EBADF');
  }
});

test('a map operation before load is a BpfError, not a silent miss', () => {
  const object = BpfObject.open(fixture('ring'));
  try {
    assert.throws(
      () => object.mapLookup('scratch', Buffer.alloc(4)),
      (e: unknown) => e instanceof BpfError && e.code === 'EINVAL' && /not loaded/.test(e.message),
    );
  } finally {
    object.close();
  }
});

test('libbpf version and possible CPUs', () => {
  assert.match(libbpfVersion(), /^v\d+\.\d+/);
  assert.ok(numPossibleCpus() >= 1);
});
