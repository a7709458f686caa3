/**
 * layout.ts against events.h: every struct size, field offset, array length and
 * enum value read from the BTF clang emits for events.h, the #defines from the
 * preprocessor, and (when it has been built) the BTF of the BPF object itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { packageRoot } from '../../src/config/paths.js';
import { EVENT_TYPES } from '../../src/event/types.js';
import * as L from '../../src/sensor/layout.js';

// From the package root, not this file: the compiled copy runs from dist/test/sensor.
const root = packageRoot();
const include = join(root, 'bpf/include');
const sensorsObject = join(root, 'build/bpf/sensors.bpf.o');
const bpftool = existsSync('/usr/sbin/bpftool') ? '/usr/sbin/bpftool' : 'bpftool';

interface BtfMember {
  name: string;
  type_id: number;
  bits_offset: number;
}
interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: BtfMember[];
  values?: { name: string; val: number }[];
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function btfOf(object: string): Map<number, BtfType> {
  const out = execFileSync(bpftool, ['btf', 'dump', 'file', object, '-j'], { encoding: 'utf8' });
  const types = (JSON.parse(out) as { types: BtfType[] }).types;
  return new Map(types.map((t) => [t.id, t]));
}

/** A BPF object that references every struct and enum of events.h, so all of them land in BTF. */
function headerBtf(): Map<number, BtfType> {
  const structs = Object.keys(L.LAYOUT);
  const src = [
    '#include <linux/types.h>',
    '#include "events.h"',
    ...structs.map((s, i) => `struct ${s} v${i};`),
    'enum vg_event_type e0;',
    'enum vg_fd_kind e1;',
  ].join('\n');
  writeFileSync(join(dir, 'layout.c'), src);
  execFileSync('clang', [
    '-g',
    '-target',
    'bpf',
    `-I${include}`,
    `-I/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '-c',
    join(dir, 'layout.c'),
    '-o',
    join(dir, 'layout.o'),
  ]);
  return btfOf(join(dir, 'layout.o'));
}

function arrayLength(types: Map<number, BtfType>, id: number): number | undefined {
  let t = types.get(id);
  while (t && (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE'))
    t = types.get(t.type_id!);
  return t?.kind === 'ARRAY' ? t.nr_elems : undefined;
}

function checkStructs(types: Map<number, BtfType>, requireAll: boolean): void {
  const byName = new Map([...types.values()].filter((t) => t.kind === 'STRUCT').map((t) => [t.name, t]));
  for (const [name, layout] of Object.entries(L.LAYOUT) as [string, L.StructLayout][]) {
    const s = byName.get(name);
    if (!s) {
      assert.ok(!requireAll, `struct ${name} missing from BTF`);
      continue;
    }
    assert.equal(layout.size, s.size, `sizeof(struct ${name})`);
    const members = s.members!;
    assert.deepEqual(
      Object.keys(layout.fields).sort(),
      members.map((m) => m.name).sort(),
      `fields of struct ${name}`,
    );
    for (const m of members) {
      assert.equal(layout.fields[m.name], m.bits_offset / 8, `offsetof(struct ${name}, ${m.name})`);
      const len = arrayLength(types, m.type_id);
      const key = `${name}.${m.name}` as keyof typeof L.ARRAY_LENGTHS;
      if (len !== undefined) assert.equal(L.ARRAY_LENGTHS[key], len, `length of ${key}`);
      else assert.equal(L.ARRAY_LENGTHS[key], undefined, `${key} is not an array`);
    }
  }
}

function checkEnums(types: Map<number, BtfType>): void {
  const enums = new Map([...types.values()].filter((t) => t.kind === 'ENUM').map((t) => [t.name, t]));
  const evt = enums.get('vg_event_type')!.values!;
  const expected = new Map<string, number>([
    ['VG_EVT_NONE', L.VG_EVT_NONE],
    ['VG_EVT_MAX', L.VG_EVT_MAX],
    ...L.WIRE_EVENT_TYPES.map((w) => [w.cname, w.value] as [string, number]),
  ]);
  assert.deepEqual(new Map(evt.map((v) => [v.name, v.val])), expected, 'enum vg_event_type');
  const kinds = enums.get('vg_fd_kind')!.values!;
  assert.deepEqual(
    kinds.map((v) => [v.name, v.val]),
    L.FD_KINDS.map((k, i) => [k.cname, i]),
    'enum vg_fd_kind',
  );
}

test('every struct offset, size and array length matches events.h', () => {
  checkStructs(headerBtf(), true);
});

test('enum values match events.h, and every evt.type has a wire value', () => {
  checkEnums(headerBtf());
  assert.deepEqual(
    L.WIRE_EVENT_TYPES.map((w) => w.type).sort(),
    [...EVENT_TYPES].sort(),
    'each EventType is produced by exactly one wire value',
  );
});

test('#defines match events.h', () => {
  const out = execFileSync(
    'clang',
    ['-E', '-dM', '-x', 'c', `-I${include}`, '-include', 'linux/types.h', '-'],
    {
      input: '#include "events.h"\n',
      encoding: 'utf8',
    },
  );
  const defs = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^#define (VG_\w+) \(?(\d+)u?(?: << (\d+)\))?/.exec(line);
    if (m) defs.set(m[1], m[3] === undefined ? Number(m[2]) : Number(m[2]) << Number(m[3]));
  }
  assert.equal(defs.get('VG_HDR_F_EXE_FROM_MEMFD'), L.HDR_F_EXE_FROM_MEMFD);
  assert.equal(defs.get('VG_HDR_F_EXE_UPPER_LAYER'), L.HDR_F_EXE_UPPER_LAYER);
  assert.equal(defs.get('VG_HDR_F_EXE_WRITABLE'), L.HDR_F_EXE_WRITABLE);
  assert.equal(defs.get('VG_HDR_F_EXE_DELETED'), L.HDR_F_EXE_DELETED);
  assert.equal(defs.get('VG_HDR_F_RELATIVE'), L.HDR_F_RELATIVE);
  assert.equal(defs.get('VG_COMM_LEN'), L.VG_COMM_LEN);
  assert.equal(defs.get('VG_PATH_MAX'), L.VG_PATH_MAX);
  for (const [k, v] of Object.entries(L.EXEC_STR))
    assert.equal(defs.get(`VG_EXEC_STR_${k.toUpperCase()}`), v);
  for (const [k, v] of Object.entries(L.FILE_STR))
    assert.equal(defs.get(`VG_FILE_STR_${k.toUpperCase()}`), v);
});

test('the built BPF object carries the same layout', (t) => {
  if (!existsSync(sensorsObject)) {
    if (process.env.CI) throw new Error('build/bpf/sensors.bpf.o is not built, and CI is set');
    t.skip('build/bpf/sensors.bpf.o not built');
    return;
  }
  const types = btfOf(sensorsObject);
  checkStructs(types, false);
});
