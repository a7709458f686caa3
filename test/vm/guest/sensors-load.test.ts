/**
 * build/bpf/sensors.bpf.o on each guest kernel: exactly the expected programs load and attach.
 * All of them on 6.12; on 6.1 the set is written out, so a program that stops loading (or a
 * detection that stops noticing) fails here instead of passing silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestSeries, repoPath, requireGuest } from './guest.js';
import { programSet } from './program-set.js';

/** Programs of sensors.bpf.o each guest kernel refuses, by series (measured; see the diagnostics). */
export const SENSOR_PROGRAMS_REFUSED: Record<string, string[]> = {
  // CO-RE: `struct cred.cap_effective.val` does not exist before 6.3 (kernel_cap_t was u32 cap[2]),
  // so every program that reads capabilities fails to relocate. Fix the sensors, then empty this.
  '6.1': [
    'exit_capset',
    'exit_setgid',
    'exit_setregid',
    'exit_setresgid',
    'exit_setresuid',
    'exit_setreuid',
    'exit_setuid',
    'sched_exec',
  ],
  '6.12': [],
};

test('sensors.bpf.o: the programs that load and attach on this kernel are exactly the expected ones', (t) => {
  if (!requireGuest(t)) return;
  const set = programSet(repoPath('build', 'bpf', 'sensors.bpf.o'));
  t.diagnostic(`${set.attached.length} of ${set.all.length} programs loaded and attached`);
  for (const [name, why] of Object.entries(set.refused)) t.diagnostic(`refused ${name}: ${why}`);
  const expected = SENSOR_PROGRAMS_REFUSED[guestSeries ?? ''] ?? [];
  assert.deepEqual(Object.keys(set.refused).sort(), [...expected].sort());
  assert.deepEqual(set.attached.sort(), set.all.filter((name) => !expected.includes(name)).sort());
});
