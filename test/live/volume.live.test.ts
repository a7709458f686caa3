/**
 * Volume (root + BPF, real kernel): a storm of 5,000 short processes loses no
 * exec, and 1,000,000 opens of a marker file all arrive, with the kernel's drop
 * counter at zero at the default ring buffer size. Figures go to the test's
 * diagnostics; bench/sensor.ts prints the same workloads as a benchmark.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLoop, processStorm, runWorkload, type WorkloadResult } from '../../bench/sensor.js';
import { requireLive } from '../support/live.js';

const TIMEOUT = 15 * 60_000; // shared 2-core CI machines can be slow; nothing here asserts on speed

function report(t: { diagnostic: (m: string) => void }, r: WorkloadResult): void {
  t.diagnostic(
    `${r.name}: ${r.seen}/${r.expected} in ${r.seconds.toFixed(2)} s, ` +
      `${Math.round(r.eventsPerSecond)} events/s, ${Math.round(r.cpuCapacityPerSecond)} per CPU-second, ` +
      `drops ${r.dropped}`,
  );
}

test('5,000 short processes: every exec arrives, no drops', { timeout: TIMEOUT }, async (t) => {
  if (!requireLive(t)) return;
  const r = await runWorkload(processStorm(5000));
  report(t, r);
  assert.equal(r.seen, 5000);
  assert.equal(r.dropped, 0);
});

test(
  '1,000,000 opens: all arrive complete, zero drops at the default ring size',
  { timeout: TIMEOUT },
  async (t) => {
    if (!requireLive(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-volume-'));
    const marker = join(dir, 'unique-marker-file');
    writeFileSync(marker, '');
    try {
      const r = await runWorkload(openLoop(marker, 1_000_000));
      report(t, r);
      assert.equal(r.seen, 1_000_000);
      assert.equal(r.dropped, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
