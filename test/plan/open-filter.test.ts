/**
 * The open prefilter never drops an open a loaded rule can match. Oracle: every
 * open in the bundled rules' test cases that must alert passes the filter (the
 * kernel's decision as openWanted models it). Property: random opens built from
 * the rules' own paths, suffixes and flags, evaluated by the compiled rules; any
 * that a rule matches passes the filter. Plus the analysis on small rule sets.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundledRulesDir } from '../../src/config/index.js';
import type { EventType, VigilEvent } from '../../src/event/types.js';
import { loadRuleset, loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { readTestCases } from '../../src/engine/rule-tests/cases.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { renderMode, renderOpenFlags } from '../../src/sensor/flags.js';
import { formatOpenFilter } from '../../src/sensor/probe-report.js';
import { resolvePath } from '../../src/sensor/fd-path.js';
import { deriveOpenFilter, OPEN_TYPES } from '../../src/plan/open-filter.js';
import { regexSuffixes } from '../../src/plan/regex-suffixes.js';
import { openWanted, type OpenFilterPlan } from '../../src/sensor/open-filter-plan.js';

const bundled = loadRuleset([bundledRulesDir()], 'all');
const plan = deriveOpenFilter(bundled.enabledRules);

/** An open event as the decoder builds it (src/sensor/decode/file.ts). */
function openEvent(type: EventType, raw: string, flags: number, ret: number, cwd = '/root'): VigilEvent {
  const name = resolvePath(cwd, raw);
  const ev = sampleEvent({ type, ret, proc: { cwd } });
  ev.fd = { num: ret, type: (flags & 0o200000) !== 0 ? 'directory' : 'file', name, nameraw: raw };
  ev.args = {
    name,
    flags: renderOpenFlags(flags),
    mode: renderMode(0o644),
    fd: ret,
    res: ret >= 0 ? ret : 'ENOENT',
  };
  ev.rawargs = { flags, mode: 0o644, dirfd: -100, fd: ret, res: ret };
  return ev;
}

test('the bundled rules leave the filter on, and selective for every access mode', () => {
  assert.equal(plan.on, true, plan.off ?? '');
  assert.ok(plan.prefixes.has('/etc/shadow\0'));
  // A rule whose only path test is a regex or a field comparison would let every open through.
  assert.equal(plan.anyNeed, null, JSON.stringify(plan.anyNeed));
});

test('oracle: every open of the bundled rules test cases that alerts passes the filter', () => {
  const files = readdirSync(bundledRulesDir()).filter((f) => f.endsWith('.tests.yaml'));
  let checked = 0;
  for (const f of files) {
    for (const c of readTestCases(join(bundledRulesDir(), f))) {
      const ev = c.event;
      if (!OPEN_TYPES.includes(ev.type) || bundled.evaluate(ev).length === 0) continue;
      const raw = ev.fd?.nameraw ?? ev.fd?.name ?? '';
      const flags = Number(ev.rawargs.flags ?? 0);
      assert.ok(
        openWanted(plan, raw, flags, ev.ret),
        `${c.name} (${f}): ${raw} flags ${flags} ret ${ev.ret}`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 20, `only ${checked} alerting open cases`);
});

/** Deterministic PRNG (mulberry32): a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('property: no random open that a bundled rule matches is filtered', () => {
  const rand = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  // Pieces from the rules themselves, so that matches are frequent, and from common paths.
  const pieces = new Set<string>([
    'usr',
    'lib',
    'etc',
    'root',
    'home',
    'a',
    'proc',
    '1',
    'mem',
    'environ',
    '..',
    '.',
    '',
  ]);
  for (const k of [...plan.prefixes.keys(), ...plan.suffixes.keys(), ...plan.components]) {
    for (const c of k.replace(/\0$/, '').split('/')) pieces.add(c);
  }
  const parts = [...pieces];
  const flagBits = [0, 1, 2, 0o100, 0o1000, 0o2000, 0o200000, 0o2000000];
  let matched = 0;
  for (let i = 0; i < 30_000; i++) {
    const n = 1 + Math.floor(rand() * 5);
    const comps = Array.from({ length: n }, () => pick(parts));
    const abs = rand() < 0.9;
    const raw = (abs ? '/' : '') + comps.join('/') + (rand() < 0.05 ? '/' : '');
    let flags = 0;
    for (let b = 0; b < 3; b++) flags |= pick(flagBits);
    const type = pick(OPEN_TYPES);
    if (type === 'creat') flags = 0o1101;
    const ret = rand() < 0.8 ? 3 : -2;
    const ev = openEvent(type, raw, flags, ret);
    if (bundled.evaluate(ev).length === 0) continue;
    matched++;
    assert.ok(
      openWanted(plan, raw, flags, ret),
      `${bundled.evaluate(ev)[0].name}: ${type} ${raw} flags ${flags} ret ${ret}`,
    );
  }
  assert.ok(matched > 500, `only ${matched} random opens matched a rule`);
});

function planOf(yaml: string): OpenFilterPlan {
  return deriveOpenFilter(loadRulesetFromSources([{ path: 'test.yaml', text: yaml }]).enabledRules);
}

const rule = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING\n`;

test('a rule on opens with no path or flag constraint turns the filter off, and names itself', () => {
  const p = planOf(rule('Any open', 'evt.type = openat and proc.name = cat'));
  assert.equal(p.on, false);
  assert.match(p.off ?? '', /Any open/);
  // Rules on other types do not matter.
  assert.equal(planOf(rule('Exec', 'evt.type = execve and proc.name = cat')).on, true);
});

test('paths, prefixes, suffixes, components and flags', () => {
  const p = planOf(
    rule('Exact', "evt.type = openat and fd.name in (/etc/shadow, 'relative')") +
      rule('Dir', 'evt.type = openat and fd.directory = /var/spool/cron') +
      rule('Pm', 'evt.type = openat and fd.name pmatch (/opt/x/)') +
      rule('Name', 'evt.type = openat and fd.filename = .bash_history') +
      rule('Has', 'evt.type = openat and fd.name contains /.ssh/id_') +
      rule('Write', 'evt.type = openat and evt.is_open_write = true and evt.arg.flags contains O_TRUNC') +
      rule(
        'Mixed',
        '(evt.type = execve and proc.name = x) or (evt.type = openat and fd.name startswith /srv/)',
      ),
  );
  assert.equal(p.on, true, p.off ?? '');
  const want = (path: string, flags = 0, ret = 3) => openWanted(p, path, flags, ret);
  assert.ok(want('/etc/shadow') && !want('/etc/shadowx') && !want('/etc'));
  assert.ok(want('/var/spool/cron/root') && want('/var/spool/cron') && !want('/var/spool/crontab'));
  assert.ok(want('/opt/x') && want('/opt/x/y') && !want('/opt/xy'));
  assert.ok(want('/home/a/.bash_history') && !want('/home/a/x.bash_history'));
  assert.ok(want('/root/.ssh/id_rsa') && !want('/root/.sshx/id_rsa'));
  assert.ok(want('/srv/data') && !want('/usr/lib/libc.so.6'));
  // O_WRONLY|O_TRUNC anywhere; O_WRONLY alone or a read is not enough.
  assert.ok(want('/tmp/x', 0o1001) && !want('/tmp/x', 0o1) && !want('/tmp/x', 0o1000));
  // What the kernel cannot judge is reported: relative, `..`, `//`, trailing '/', non-ASCII, too long.
  for (const path of [
    'relative',
    '/usr/../etc/x',
    '/usr//lib',
    '/usr/lib/',
    '/usr/lib/é',
    `/${'a'.repeat(300)}`,
  ]) {
    assert.ok(want(path), path);
  }
});

test('arguments opens do not have are undefined for opens: such a check is false', () => {
  const p = planOf(
    rule(
      'Cron',
      'evt.type in (openat, rename) and (fd.name pmatch (/etc/cron.d) or evt.arg.newpath pmatch (/etc/cron.d))',
    ),
  );
  assert.equal(p.on, true, p.off ?? '');
  assert.ok(openWanted(p, '/etc/cron.d/x', 1, 3) && !openWanted(p, '/tmp/x', 1, 3));
  // A numbered argument may be anything: no constraint.
  assert.equal(planOf(rule('N', "evt.type = openat and evt.arg[0] = '/x'")).on, false);
});

test('success and access mode needs', () => {
  const p = planOf(
    rule(
      'Read',
      'evt.type = openat and evt.is_open_read = true and fd.num >= 0 and fd.name startswith /etc/',
    ),
  );
  assert.ok(openWanted(p, '/etc/passwd', 0, 3));
  assert.ok(!openWanted(p, '/etc/passwd', 0, -2), 'failed open');
  assert.ok(!openWanted(p, '/etc/passwd', 1, 3), 'write-only open');
  assert.ok(openWanted(p, '/etc/passwd', 2, 3), 'O_RDWR reads too');
});

test('regex tails: literal endings every whole match has', () => {
  assert.deepEqual(regexSuffixes('.*/[.]aws/(credentials|config)')?.sort(), [
    '/.aws/config',
    '/.aws/credentials',
  ]);
  assert.deepEqual(regexSuffixes('/x/[^/]+[.](db|json)')?.sort(), ['.db', '.json']);
  assert.equal(regexSuffixes('.*'), undefined);
  assert.equal(regexSuffixes('(?i).*/x'), undefined);
  assert.deepEqual(regexSuffixes('(?s).*/x'), ['/x']); // (?s) widens only `.`
  assert.equal(regexSuffixes('(?m).*/x$'), undefined);
  assert.equal(regexSuffixes('.*/x\\d'), undefined);
  assert.equal(regexSuffixes('.*(a|)'), undefined);
});

test('the probes report says whether the filter is on, and which rule turned it off', () => {
  assert.match(
    formatOpenFilter(plan),
    /^on: .*\d+ rules on opens: \d+ paths and prefixes, \d+ suffixes, \d+ components?\)$/,
  );
  const off = planOf(rule('Any open', 'evt.type = openat and proc.name = cat'));
  assert.equal(
    formatOpenFilter(off),
    "off: rule 'Any open' can match any openat (no path or flag constraint)",
  );
});

test('exact paths are kept for identity matching, whether the filter is on or off', () => {
  const on = planOf(rule('Shadow', 'evt.type = openat and fd.name in (/etc/shadow, relative/x)'));
  assert.deepEqual([...on.exact.keys()], ['/etc/shadow']);
  assert.equal(on.exact.get('/etc/shadow')?.acc, 0b1111);
  const off = planOf(
    rule('Any open', 'evt.type = openat and proc.name = cat') +
      rule('Sudoers', 'evt.type = openat and fd.name = /etc/sudoers and evt.is_open_write = true'),
  );
  assert.equal(off.on, false);
  assert.deepEqual([...off.exact.keys()], ['/etc/sudoers']);
  assert.equal(off.exact.get('/etc/sudoers')?.acc, 0b0110);
});
