/**
 * BTF as bpftool dumps it, for the layout tests: the types of an object file by id, and the check
 * of its structs against layout.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import * as L from '../../src/kernel/layout.js';

const bpftool = existsSync('/usr/sbin/bpftool') ? '/usr/sbin/bpftool' : 'bpftool';

export interface BtfMember {
  name: string;
  type_id: number;
  bits_offset: number;
}
export interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: BtfMember[];
  values?: { name: string; val: number }[];
}

export function btfOf(object: string): Map<number, BtfType> {
  const out = execFileSync(bpftool, ['btf', 'dump', 'file', object, '-j'], { encoding: 'utf8' });
  const types = (JSON.parse(out) as { types: BtfType[] }).types;
  return new Map(types.map((t) => [t.id, t]));
}

function arrayLength(types: Map<number, BtfType>, id: number): number | undefined {
  let t = types.get(id);
  while (t && (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE'))
    t = types.get(t.type_id!);
  return t?.kind === 'ARRAY' ? t.nr_elems : undefined;
}

export function checkStructs(types: Map<number, BtfType>, requireAll: boolean): void {
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
