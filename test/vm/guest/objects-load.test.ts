/**
 * Every BPF object vigil builds (build/bpf/*.bpf.o; doctor.bpf.o has its own test) on each guest
 * kernel: exactly the expected programs load and attach. The refused set is written out per
 * object and kernel, so a program that stops loading (or a detection that stops noticing) fails
 * here instead of passing silently; the diagnostics say why each refused program was refused
 * (libbpf's line and the verifier's last lines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mounts } from '../../../src/kernel/mounts.js';
import { guestSeries, repoPath, requireGuest } from './guest.js';
import { programSet } from './program-set.js';

/**
 * Programs each guest kernel refuses, by object and series; absent means none. None today: the
 * sensors are tracepoint, raw tracepoint and tp_btf programs and the enforcement objects cgroup
 * and LSM programs, all of which 6.1 and 6.12 have, so a refusal is a portability bug (an
 * unguarded CO-RE field, bounds an older verifier cannot prove), not a kernel limit. A program
 * that needs a newer kernel goes here, by name, with the reason.
 */
export const PROGRAMS_REFUSED: Record<string, Record<string, string[]>> = {};

const OBJECT_DIR = repoPath('build', 'bpf');
const objects = existsSync(OBJECT_DIR)
  ? readdirSync(OBJECT_DIR).filter((f) => f.endsWith('.bpf.o') && f !== 'doctor.bpf.o')
  : [];

test('the objects vigil loads are built', (t) => {
  if (!requireGuest(t)) return;
  assert.ok(objects.includes('sensors.bpf.o'), `sensors.bpf.o among ${objects.join(', ')}`);
});

for (const object of objects) {
  test(`${object}: the programs that load and attach on this kernel are exactly the expected ones`, (t) => {
    if (!requireGuest(t)) return;
    const cgroup2 = mounts().find((m) => m.type === 'cgroup2')?.target;
    assert.ok(cgroup2, 'cgroup2 is mounted in the guest');
    const set = programSet(repoPath('build', 'bpf', object), cgroup2);
    t.diagnostic(`${set.attached.length} of ${set.all.length} programs loaded and attached`);
    for (const [name, why] of Object.entries(set.refused)) t.diagnostic(`refused ${name}: ${why}`);
    const expected = PROGRAMS_REFUSED[object]?.[guestSeries ?? ''] ?? [];
    assert.deepEqual(Object.keys(set.refused).sort(), [...expected].sort());
    assert.deepEqual(set.attached.sort(), set.all.filter((name) => !expected.includes(name)).sort());
  });
}
