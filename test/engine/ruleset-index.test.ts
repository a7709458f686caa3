/**
 * The ruleset's shortcuts (event-type buckets, shared guards, the proc.name
 * index) change no result: every event gets exactly the rules a plain scan of
 * all enabled rules in file order gives, under `all` and `first`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import { readTestCases } from '../../src/engine/rule-tests/cases.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import type { CompiledRule } from '../../src/engine/rules/compile-rules.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import type { VigilEvent } from '../../src/event/types.js';
import { FALCO_RULES, falcoRulesMissing } from '../support/falco.js';

const dirs = ['rules', 'test/fixtures/rules'].filter((d) => existsSync(d));
const paths = [...(falcoRulesMissing() === null ? [FALCO_RULES] : []), 'rules'].filter((p) => existsSync(p));

/** Every event the test cases beside the rules describe, plus a spread of ordinary ones. */
function events(): VigilEvent[] {
  const evs: VigilEvent[] = [];
  for (const d of dirs) {
    for (const n of readdirSync(d).sort())
      if (/\.tests\.ya?ml$/.test(n)) for (const c of readTestCases(join(d, n))) evs.push(c.event);
  }
  const names = [
    'bash',
    'sh',
    'nc',
    'grep',
    'find',
    'cat',
    'python3',
    'curl',
    'sudo',
    'insmod',
    'shred',
    'nginx',
  ];
  for (const [i, name] of names.entries()) {
    const proc = {
      exe: `/usr/bin/${name}`,
      args: [name, '-c', 'id'],
      container_id: i % 2 ? 'b1946ac92492' : '',
    };
    evs.push(sampleEvent({ type: 'execve', proc }));
    for (const file of [
      '/etc/shadow',
      '/etc/pam.d/sshd',
      '/root/.ssh/authorized_keys',
      '/var/log/auth.log',
      // Path-prefix index: prefixes, their parents and siblings, odd slashes.
      '/etc//cron.d/job',
      '/etc/cron.dx',
      '/etc/pam.d',
      '/usr/lib/x86_64-linux-gnu/security/pam_x.so',
      '/proc/sys/kernel/core_pattern',
      '/etc/vigil/vigil.yaml/',
    ]) {
      for (const flags of [0, 0o1101]) {
        evs.push(
          sampleEvent({
            type: 'openat',
            ret: 3,
            rawargs: { flags },
            fd: { num: 3, type: 'file', name: file },
            proc,
          }),
        );
      }
    }
  }
  // Renames: the rules test fd.name or evt.arg.newpath, each indexed by its own prefixes.
  for (const [from, to] of [
    ['/tmp/x', '/etc/cron.d/x'],
    ['/etc/cron.d/x', '/tmp/x'],
    ['/tmp/x', '/etc/systemd/system/evil.service'],
    ['/tmp/x', '/tmp/y'],
  ]) {
    evs.push(
      sampleEvent({
        type: 'renameat2',
        args: { oldpath: from, newpath: to },
        fd: { type: 'file', name: from },
        fd2: { type: 'file', name: to },
      }),
    );
  }
  return evs;
}

function scan(rs: Ruleset, ev: VigilEvent): string[] {
  return rs.info.rules
    .filter(
      (r: CompiledRule) => r.enabled && (r.eventTypes === null || r.eventTypes.has(ev.type)) && r.test(ev),
    )
    .map((r) => r.name);
}

describe('ruleset index', () => {
  it('gives exactly what a plain scan of every rule gives (all and first)', (t) => {
    if (paths.length === 0) return t.skip('no rule files');
    const all = loadRuleset(paths, 'all');
    const first = loadRuleset(paths, 'first');
    const evs = events();
    let matched = 0;
    for (const ev of evs) {
      const want = scan(all, ev);
      if (want.length > 0) matched++;
      assert.deepEqual(
        all.evaluate(ev).map((r) => r.name),
        want,
      );
      assert.deepEqual(
        first.evaluate(ev).map((r) => r.name),
        want.slice(0, 1),
      );
    }
    // The comparison is only worth something if many events do match.
    assert.ok(matched >= 50, `only ${matched} of ${evs.length} events matched`);
    t.diagnostic(`${matched} of ${evs.length} events matched a rule`);
  });
});

describe('ruleset compiled per event type', () => {
  it('leaves a type out of what the sensors need when every rule folds to false for it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fold-'));
    try {
      const file = join(dir, 'r.yaml');
      writeFileSync(
        file,
        [
          '- rule: exec or open',
          '  desc: d',
          '  condition: (evt.type = execve and proc.name = cat) or (evt.type = openat and evt.dir = ">")',
          '  output: o',
          '  priority: WARNING',
        ].join('\n'),
      );
      const rs = loadRuleset([file], 'all');
      // evt.dir is always '<': the openat alternative can never hold.
      assert.deepEqual([...rs.eventTypes()], ['execve']);
      assert.deepEqual(
        rs
          .evaluate(sampleEvent({ type: 'execve', proc: { exe: '/usr/bin/cat', args: ['cat'] } }))
          .map((r) => r.name),
        ['exec or open'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('path tree', () => {
  it('root prefixes, fd.directory under fd.name and exact fd.name values give what a scan gives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tree-'));
    try {
      const file = join(dir, 'r.yaml');
      const rule = (name: string, condition: string): string[] => [
        `- rule: ${name}`,
        '  desc: d',
        `  condition: evt.type = openat and ${condition}`,
        '  output: o',
        '  priority: WARNING',
      ];
      writeFileSync(
        file,
        [
          ...rule('anything', 'fd.name pmatch (/)'),
          ...rule('in etc', 'fd.directory in (/etc, /var/lib)'),
          ...rule('below etc', 'fd.directory pmatch (/etc)'),
          ...rule('shadow', 'fd.name in (/etc/shadow, /etc/gshadow)'),
          ...rule('relative', 'fd.name = shadow'),
        ].join('\n'),
      );
      const rs = loadRuleset([file], 'all');
      for (const [name, type] of [
        ['/etc/shadow', 'file'],
        ['/etc//shadow', 'file'],
        ['/etc/shadow/', 'file'],
        ['/etc', 'directory'],
        ['/etc/ssh/sshd_config', 'file'],
        ['/var/lib/x', 'file'],
        ['shadow', 'file'],
        ['/', 'directory'],
        ['', 'file'],
        ['/tmp/x', 'file'],
      ] as const) {
        const ev = sampleEvent({ type: 'openat', ret: 3, fd: { num: 3, type, name } });
        assert.deepEqual(
          rs.evaluate(ev).map((r) => r.name),
          scan(rs, ev),
          `${type} ${name}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
