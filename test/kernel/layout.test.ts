/**
 * layout.ts and the event table against events.h: every struct size, field offset, array length
 * and enum value read from the BTF clang emits for events.h, the #defines from the preprocessor,
 * the family comments of enum vg_event_type. The BTF of the built BPF object: layout.live.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { packageRoot } from '../../src/config/paths.js';
import { readFileSync } from 'node:fs';
import { EVENT_ROWS, EVENT_TYPES } from '../../src/event/table.js';
import * as L from '../../src/kernel/layout.js';
import { btfOf, checkStructs, type BtfType } from './btf.js';

// From the package root, not this file: the compiled copy runs from dist/test/kernel.
const root = packageRoot();
const include = join(root, 'bpf/include');

const dir = mkdtempSync(join(tmpdir(), 'vigil-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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

function checkEnums(types: Map<number, BtfType>): void {
  const enums = new Map([...types.values()].filter((t) => t.kind === 'ENUM').map((t) => [t.name, t]));
  const evt = enums.get('vg_event_type')!.values!;
  const expected = new Map<string, number>([
    ['VG_EVT_NONE', L.VG_EVT_NONE],
    ['VG_EVT_MAX', L.VG_EVT_MAX],
    ...EVENT_ROWS.map((r) => [r.cname, r.value] as [string, number]),
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

test('enum values match events.h, and every evt.type has one wire value', () => {
  checkEnums(headerBtf());
  assert.equal(new Set(EVENT_TYPES).size, EVENT_ROWS.length, 'each evt.type has one row');
  assert.equal(new Set(EVENT_ROWS.map((r) => r.value)).size, EVENT_ROWS.length, 'each row its own value');
  for (const r of EVENT_ROWS) assert.equal(L.WIRE_BY_VALUE[r.value], r, `WIRE_BY_VALUE[${r.value}]`);
});

test("each row's family is its enumerator's in events.h (the comments that head each group)", () => {
  const header = readFileSync(join(include, 'events.h'), 'utf8');
  const body = /enum vg_event_type \{([^}]*)\}/.exec(header)![1];
  const structsOf = new Map<string, string>();
  let structs = '';
  for (const line of body.split('\n')) {
    const heading = /^\s*\/\* .* family: (struct .*) \*\/$/.exec(line);
    if (heading) structs = heading[1];
    const e = /^\s*(VG_EVT_\w+) =/.exec(line);
    if (e) structsOf.set(e[1], structs);
  }
  for (const r of EVENT_ROWS) {
    const named = structsOf.get(r.cname) ?? '';
    assert.match(
      named,
      new RegExp(`\\bvg_${r.family}\\b`),
      `${r.type}: family ${r.family}, events.h: ${named}`,
    );
  }
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
