/**
 * The open prefilter on the real kernel, with the bundled rules' plan: a benign
 * read under /usr/lib is dropped in the kernel, a read of /etc/shadow and opens
 * the kernel cannot judge (relative, `..`) are delivered; a reload swaps the plan.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import type { VigilEvent } from '../../src/event/types.js';
import { bundledRulesDir } from '../../src/config/index.js';
import { loadRuleset, loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { deriveOpenFilter, OPEN_ARGS } from '../../src/plan/open-filter.js';
import { openWanted } from '../../src/sensor/open-filter-plan.js';
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

const O_CLOEXEC = 0o2000000;

for (const extra of [[], ['fd.name endswith .c', 'fd.name startswith /vigil-of-x']]) {
  const what =
    extra.length === 0 ? 'tries behind their bloom bitmaps' : 'a short suffix and a one-component prefix';
  test(`live: the kernel reports every open the model of the filter reports (random paths and flags; ${what})`, (t) =>
    kernelAgreesWithModel(t, extra));
}

async function kernelAgreesWithModel(t: TestContext, extra: string[]): Promise<void> {
  if (!requireLive(t)) return;
  const root = `/vigil-of-${process.pid}`;
  const rules = [
    ...extra,
    `fd.name in (${root}/etc/shadow, ${root}/a.conf)`,
    `fd.name pmatch (${root}/etc/cron.d)`,
    `fd.name startswith ${root}/var/log/ and evt.arg.flags contains O_TRUNC`,
    `fd.filename in (.bash_history, authorized_keys) and evt.is_open_write = true`,
    `fd.name contains /.ssh/id_`,
    `fd.name endswith .pem and evt.is_open_read = true`,
    `fd.directory = ${root}/spool`,
  ];
  const yaml = rules
    .map(
      (c, i) =>
        `- rule: R${i}\n  desc: d\n  condition: evt.type = openat and ${c}\n  output: o\n  priority: WARNING\n`,
    )
    .join('');
  const plan = deriveOpenFilter(loadRulesetFromSources([{ path: 'r.yaml', text: yaml }]).enabledRules);
  assert.equal(plan.on, true, plan.off ?? '');
  const pieces = [
    'etc',
    'shadow',
    'cron.d',
    'var',
    'log',
    'x',
    '.ssh',
    'id_rsa',
    '.bash_history',
    'authorized_keys',
  ];
  pieces.push('a.conf', 'k.pem', 'spool', 'a', '..', '.', '');
  let seed = 11;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const flagSets = [0, 1, 2, 0o1001, 0o1002, 0o1000];
  const opens: [string, number][] = [];
  for (let i = 0; i < 2000; i++) {
    const comps = Array.from(
      { length: 1 + Math.floor(rand() * 4) },
      () => pieces[Math.floor(rand() * pieces.length)],
    );
    opens.push([`${root}/${comps.join('/')}`, flagSets[Math.floor(rand() * flagSets.length)]]);
  }
  const seen = new Map<string, number>();
  let pid = -1;
  const sensor = await Sensor.start({
    types: new Set(['openat', 'procexit']),
    openFilter: plan,
    onEvents: (batch) => {
      for (const e of batch) {
        if (e.type === 'procexit' && e.proc.pid === pid) seen.set('<exit>', 1);
        if (e.type !== 'openat' || e.proc.pid !== pid) continue;
        const k = `${e.fd?.nameraw ?? ''}\0${Number(e.rawargs.flags)}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    },
  });
  try {
    // Every path is under a directory that does not exist: each open fails (ENOENT), nothing is created.
    const script =
      'import os,sys\nfor l in sys.stdin:\n  p,f=l.rstrip("\\n").rsplit(" ",1)\n  try: os.close(os.open(p,int(f)))\n  except OSError: pass\n';
    const r = spawnSync('python3', ['-c', script], {
      input: opens.map(([p, f]) => `${p} ${f}`).join('\n') + '\n',
    });
    pid = r.pid ?? -1;
    assert.equal(r.status, 0, String(r.stderr));
    const deadline = Date.now() + 10_000;
    while (!seen.has('<exit>') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    let extra = 0;
    let dropped = 0;
    for (const [path, asked] of opens) {
      const flags = asked | O_CLOEXEC; // Python's os.open adds it
      const model = openWanted(plan, path, flags, -2);
      const kernel = seen.has(`${path}\0${flags}`);
      if (model) assert.ok(kernel, `the model reports ${path} (flags ${flags}); the kernel dropped it`);
      if (kernel && !model) extra++;
      if (!kernel) dropped++;
    }
    // The kernel may let through more (its component set is a bloom bitmap), not many more.
    assert.ok(extra < opens.length / 20, `${extra} opens reported by the kernel only`);
    assert.ok(seen.size > 100 && dropped > 100, `${seen.size} distinct opens reported, ${dropped} dropped`);
  } finally {
    await sensor.stop(false);
  }
}
