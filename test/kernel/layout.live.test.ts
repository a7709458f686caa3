/**
 * The built BPF object (build/bpf/sensors.bpf.o, from `make bpf`) against layout.ts and the event
 * table: the layout its BTF carries, and its programs against the table's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packageRoot } from '../../src/config/paths.js';
import { EVENT_ROWS } from '../../src/event/table.js';
import { btfOf, checkStructs } from './btf.js';

// From the package root, not this file: the compiled copy runs from dist/test/kernel.
const sensorsObject = join(packageRoot(), 'build/bpf/sensors.bpf.o');

test('the built BPF object carries the same layout', (t) => {
  if (!existsSync(sensorsObject)) {
    if (process.env.CI) throw new Error('build/bpf/sensors.bpf.o is not built, and CI is set');
    t.skip('build/bpf/sensors.bpf.o not built');
    return;
  }
  const types = btfOf(sensorsObject);
  checkStructs(types, false);
});

test("the built BPF object has each row's programs, and no program that no row names", (t) => {
  if (!existsSync(sensorsObject)) {
    if (process.env.CI) throw new Error('build/bpf/sensors.bpf.o is not built, and CI is set');
    t.skip('build/bpf/sensors.bpf.o not built');
    return;
  }
  // A program is a global function of the object's BTF (static ones are its subprograms), but for
  // the global subprograms, which the verifier checks once on their own: those are named vg_*.
  const programs = new Set(
    [...btfOf(sensorsObject).values()]
      .filter((f) => f.kind === 'FUNC' && (f as { linkage?: string }).linkage === 'global')
      .map((f) => f.name)
      .filter((name) => !name.startsWith('vg_')),
  );
  const named = new Set<string>();
  for (const r of EVENT_ROWS) {
    const main =
      r.programs ?? [`enter_${r.type}`, `exit_${r.type}`].filter((n, i) => i === 1 || programs.has(n));
    for (const p of [...main, ...(r.fallback ?? []), ...r.extra]) {
      assert.ok(programs.has(p), `${r.type}: program ${p} is in the object`);
      named.add(p);
    }
  }
  assert.deepEqual(
    [...programs].filter((p) => !named.has(p)),
    [],
    'programs of no event type',
  );
});
