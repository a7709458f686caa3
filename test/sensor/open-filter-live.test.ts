/**
 * The open prefilter on the real kernel, with the bundled rules' plan: a benign
 * read under /usr/lib is dropped in the kernel, a read of /etc/shadow and opens
 * the kernel cannot judge (relative, `..`) are delivered; a reload swaps the plan.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { VigilEvent } from '../../src/event/types.js';
import { bundledRulesDir } from '../../src/config/index.js';
import { loadRuleset } from '../../src/engine/load.js';
import { deriveOpenFilter, OPEN_ARGS } from '../../src/sensor/open-filter.js';
import { Sensor } from '../../src/sensor/sensor.js';
import { requireLive } from '../support/live.js';

/** Runs `cat` on these paths and waits until the sensor delivered its exit (the last event of it). */
async function catAndCollect(
  sensor: Sensor,
  events: VigilEvent[],
  args: string[],
  cwd = '/',
): Promise<number> {
  const r = spawnSync('cat', args, { cwd, stdio: 'ignore' });
  assert.ok(r.pid);
  const deadline = Date.now() + 10_000;
  while (!events.some((e) => e.type === 'procexit' && e.proc.pid === r.pid) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.ok(Date.now() < deadline, 'the cat process exit was delivered');
  void sensor;
  return r.pid;
}

const opened = (events: VigilEvent[], pid: number): string[] =>
  events.filter((e) => e.type === 'openat' && e.proc.pid === pid).map((e) => e.fd?.name ?? '');

test('live: the bundled rules filter a benign /usr/lib open in the kernel, not /etc/shadow', async (t) => {
  if (!requireLive(t)) return;
  const plan = deriveOpenFilter(loadRuleset([bundledRulesDir()]).enabledRules);
  assert.equal(plan.on, true, plan.off ?? '');
  const events: VigilEvent[] = [];
  const sensor = await Sensor.start({
    types: new Set(['openat', 'procexit']),
    openFilter: plan,
    onEvents: (batch) => events.push(...batch),
  });
  try {
    const lib = '/usr/lib/os-release';
    const pid = await catAndCollect(sensor, events, [lib, '/etc/shadow', '/usr/lib/../lib/os-release']);
    const names = opened(events, pid);
    assert.ok(names.includes('/etc/shadow'), `shadow delivered: ${names.join(' ')}`);
    // Its `..` form cannot be judged in the kernel: delivered, as fd.name resolves it.
    assert.equal(names.filter((n) => n === '/usr/lib/os-release').length, 1, names.join(' '));
    // Shared libraries, locale files: dropped before a record is built.
    assert.ok(!names.some((n) => n.startsWith('/usr/lib/x86_64-linux-gnu/libc.so')), names.join(' '));
    const rel = await catAndCollect(sensor, events, ['os-release'], '/usr/lib');
    assert.ok(opened(events, rel).includes('/usr/lib/os-release'), 'a relative path is delivered');
    // The analysis takes any other evt.arg.X of an open as undefined: the decoder must agree.
    for (const e of events.filter((x) => x.type === 'openat')) {
      for (const k of [...Object.keys(e.args), ...Object.keys(e.rawargs)]) assert.ok(OPEN_ARGS.has(k), k);
    }
    const stats = sensor.openFilterStats();
    assert.ok(stats.filtered > 0 && stats.passed > 0, JSON.stringify(stats));

    // Reload: a plan with the filter off delivers everything; one that is on filters again.
    sensor.setOpenFilter({ ...plan, on: false, off: 'test' });
    const all = await catAndCollect(sensor, events, [lib]);
    assert.ok(opened(events, all).includes(lib), 'filter off: delivered');
    sensor.setOpenFilter(plan);
    const again = await catAndCollect(sensor, events, [lib]);
    assert.ok(!opened(events, again).includes(lib), 'filter on again: dropped');
  } finally {
    await sensor.stop(false);
  }
});
