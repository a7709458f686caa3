/**
 * Loading semantics as Falco has them: several files in order, appends,
 * overrides, redefinitions, lists naming lists, exceptions, priorities,
 * sources, enabled, vigil's action, the event-type index.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadRuleset, loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { EVENT_TYPES, type VigilEvent } from '../../src/event/types.js';

const load = (...files: string[][]): Ruleset =>
  loadRulesetFromSources(
    files.map((lines, i) => ({ path: `r${i + 1}.yaml`, text: lines.join('\n') + '\n' })),
    'all',
  );

const rule = (name: string, condition: string, extra: string[] = []): string[] => [
  `- rule: ${name}`,
  '  desc: d',
  `  condition: ${condition}`,
  '  output: out %proc.name',
  '  priority: WARNING',
  ...extra,
];

const exec = (name: string, more: Partial<VigilEvent['proc']> = {}): VigilEvent =>
  sampleEvent({ type: 'execve', proc: { exe: `/usr/bin/${name}`, args: [name], ...more } });
const fired = (rs: Ruleset, ev: VigilEvent): string[] => rs.evaluate(ev).map((r) => r.name);

describe('appends and overrides', () => {
  it('append: true adds to the condition (text joined with a space, as Falco)', () => {
    const rs = load(rule('R', 'evt.type = execve and proc.name = sh'), [
      '- rule: R',
      '  condition: or proc.name = zsh',
      '  append: true',
    ]);
    assert.equal(rs.info.rules[0].condition, 'evt.type = execve and proc.name = sh or proc.name = zsh');
    assert.deepEqual(fired(rs, exec('zsh')), ['R']);
  });

  it('override append on condition, output, desc and tags', () => {
    const rs = load(rule('R', 'evt.type = execve', ['  tags: [a]']), [
      '- rule: R',
      '  condition: and proc.name = sh',
      '  output: (user %user.name)',
      '  desc: more',
      '  tags: [b, a]',
      '  override:',
      '    condition: append',
      '    output: append',
      '    desc: append',
      '    tags: append',
    ]);
    const r = rs.info.rules[0];
    assert.equal(r.condition, 'evt.type = execve and proc.name = sh');
    assert.equal(r.desc, 'd more');
    assert.deepEqual(r.tags, ['a', 'b']);
    assert.deepEqual(r.output.fields, ['proc.name', 'user.name']);
    assert.deepEqual(fired(rs, exec('sh')), ['R']);
    assert.deepEqual(fired(rs, exec('ls')), []);
  });

  it('override replace on priority, condition, enabled and action', () => {
    const rs = load(rule('R', 'evt.type = execve'), [
      '- rule: R',
      '  condition: evt.type = execve and proc.name = ls',
      '  priority: critical',
      '  action: kill',
      '  override:',
      '    condition: replace',
      '    priority: replace',
      '    action: replace',
    ]);
    const r = rs.info.rules[0];
    assert.equal(r.priority, 'Critical');
    assert.equal(r.action, 'kill');
    assert.deepEqual(fired(rs, exec('ls')), ['R']);
    assert.deepEqual(fired(rs, exec('sh')), []);
  });

  it('a rule item with only enabled turns an earlier rule off, and back on', () => {
    const off = load(rule('R', 'evt.type = execve'), ['- rule: R', '  enabled: false']);
    assert.equal(off.info.rules[0].enabled, false);
    assert.deepEqual(fired(off, exec('ls')), []);
    const on = load(rule('R', 'evt.type = execve', ['  enabled: false']), ['- rule: R', '  enabled: true']);
    assert.deepEqual(fired(on, exec('ls')), ['R']);
  });

  it('a rule defined twice: the later definition replaces it, in the first one’s place', () => {
    const rs = load([
      ...rule('A', 'evt.type = execve and proc.name = a'),
      ...rule('B', 'evt.type = execve'),
      ...rule('A', 'evt.type = execve and proc.name = ls'),
    ]);
    assert.deepEqual(
      rs.info.rules.map((r) => r.name),
      ['A', 'B'],
    );
    assert.deepEqual(fired(rs, exec('ls')), ['A', 'B']);
    assert.deepEqual(fired(rs, exec('a')), ['B']);
  });

  it('lists: redefinition replaces, append extends, override replace swaps', () => {
    const rs = load(
      ['- list: shells', '  items: [bash]', ...rule('R', 'evt.type = execve and proc.name in (shells)')],
      ['- list: shells', '  items: [zsh]', '  append: true'],
      ['- list: shells', '  items: [fish]', '  override:', '    items: append'],
    );
    assert.deepEqual(fired(rs, exec('zsh')), ['R']);
    assert.deepEqual(fired(rs, exec('fish')), ['R']);
    assert.deepEqual(fired(rs, exec('bash')), ['R']);
    const replaced = load(
      ['- list: shells', '  items: [bash]', ...rule('R', 'evt.type = execve and proc.name in (shells)')],
      ['- list: shells', '  items: [ksh]', '  override:', '    items: replace'],
    );
    assert.deepEqual(fired(replaced, exec('bash')), []);
    assert.deepEqual(fired(replaced, exec('ksh')), ['R']);
  });

  it('macros: append and replace', () => {
    const base = ['- macro: m', '  condition: proc.name = a', ...rule('R', 'evt.type = execve and (m)')];
    const appended = load(base, ['- macro: m', '  condition: or proc.name = b', '  append: true']);
    assert.deepEqual(fired(appended, exec('b')), ['R']);
    const replaced = load(base, [
      '- macro: m',
      '  condition: proc.name = c',
      '  override:',
      '    condition: replace',
    ]);
    assert.deepEqual(fired(replaced, exec('a')), []);
    assert.deepEqual(fired(replaced, exec('c')), ['R']);
  });

  it('exceptions append their values to an exception of the same name', () => {
    const rs = load(
      rule('R', 'evt.type = execve', [
        '  exceptions:',
        '    - name: known',
        '      fields: [proc.name]',
        '      values: [[a]]',
      ]),
      [
        '- rule: R',
        '  exceptions:',
        '    - name: known',
        '      values: [[b]]',
        '  override:',
        '    exceptions: append',
      ],
    );
    assert.deepEqual(fired(rs, exec('a')), []);
    assert.deepEqual(fired(rs, exec('b')), []);
    assert.deepEqual(fired(rs, exec('c')), ['R']);
  });
});

describe('lists', () => {
  it('a list naming lists defined before it is expanded; quoted items are unquoted', () => {
    const rs = load([
      '- list: a',
      '  items: [x, \'"(systemd)"\']',
      '- list: b',
      '  items: [a, y, 80]',
      ...rule('R', 'evt.type = execve and proc.name in (b)'),
    ]);
    assert.deepEqual(fired(rs, exec('(systemd)')), ['R']);
    assert.deepEqual(fired(rs, exec('x')), ['R']);
    assert.deepEqual(fired(rs, exec('80')), ['R']);
    assert.deepEqual(fired(rs, exec('a')), []);
  });

  it('a list naming a list defined after it keeps the name as a value (Falco order)', () => {
    const rs = load([
      '- list: b',
      '  items: [a, y]',
      '- list: a',
      '  items: [x]',
      ...rule('R', 'evt.type = execve and proc.name in (b)'),
    ]);
    assert.deepEqual(fired(rs, exec('a')), ['R']);
    assert.deepEqual(fired(rs, exec('x')), []);
  });
});

describe('exceptions compile into the condition as Falco writes them', () => {
  it('fields with default comps (=), several rows', () => {
    const rs = load(
      rule('R', 'evt.type = execve', [
        '  exceptions:',
        '    - name: pairs',
        '      fields: [proc.name, proc.pname]',
        '      values:',
        '        - [ls, bash]',
        '        - [my app, make]',
      ]),
    );
    assert.equal(
      rs.info.rules[0].condition,
      '(evt.type = execve) and not (( proc.name = ls and  proc.pname = bash) or ( proc.name = "my app" and  proc.pname = make))',
    );
    assert.deepEqual(fired(rs, exec('ls')), []);
    assert.deepEqual(
      fired(rs, exec('ls', { ancestors: [{ pid: 1, exe: '/usr/bin/zsh', name: 'zsh', cmdline: 'zsh' }] })),
      ['R'],
    );
  });

  it('comps with a list value and a list name', () => {
    const rs = load([
      '- list: editors',
      '  items: [vim, nano]',
      ...rule('R', 'evt.type = execve', [
        '  exceptions:',
        '    - name: tools',
        '      fields: [proc.name, proc.cwd]',
        '      comps: [in, startswith]',
        '      values:',
        '        - [editors, /home]',
        '        - [[ls, cat], /tmp]',
      ]),
    ]);
    assert.equal(
      rs.info.rules[0].condition,
      '(evt.type = execve) and not (( proc.name in (editors) and  proc.cwd startswith /home) or ' +
        '( proc.name in (ls, cat) and  proc.cwd startswith /tmp))',
    );
    assert.deepEqual(fired(rs, exec('vim', { cwd: '/home/alice' })), []);
    assert.deepEqual(fired(rs, exec('cat', { cwd: '/tmp/x' })), []);
    assert.deepEqual(fired(rs, exec('cat', { cwd: '/home/alice' })), ['R']);
  });

  it('the single-field form: comps default to in', () => {
    const rs = load(
      rule('R', 'evt.type = execve', [
        '  exceptions:',
        '    - name: names',
        '      fields: proc.name',
        '      values: [ls, cat]',
        '    - name: empty',
        '      fields: proc.name',
      ]),
    );
    assert.equal(rs.info.rules[0].condition, '(evt.type = execve) and not (proc.name in (ls, cat))');
    assert.deepEqual(fired(rs, exec('cat')), []);
    assert.deepEqual(fired(rs, exec('id')), ['R']);
  });
});

describe('rule attributes', () => {
  it('priorities are case-insensitive, info is Informational', () => {
    const rs = load(
      [...rule('A', 'evt.type = execve')].map((l) => l.replace('WARNING', 'info')),
      [...rule('B', 'evt.type = execve')].map((l) => l.replace('WARNING', 'eRRor')),
    );
    assert.deepEqual(
      rs.info.rules.map((r) => r.priority),
      ['Informational', 'Error'],
    );
  });

  it('a rule for another source is skipped with a note', () => {
    const rs = load([
      ...rule('K', 'ka.verb = create', ['  source: k8s_audit']),
      ...rule('S', 'evt.type = execve'),
    ]);
    assert.deepEqual(
      rs.info.rules.map((r) => r.name),
      ['S'],
    );
    assert.deepEqual(
      rs.info.skipped.map((s) => `${s.name}: ${s.reason}`),
      ["K: source 'k8s_audit' is not run by vigil (only syscall rules run)"],
    );
  });

  it('enabled: false is loaded but off: not evaluated, its event types not needed', () => {
    const rs = load(
      rule('Off', 'evt.type = ptrace', ['  enabled: false']),
      rule('On', 'evt.type in (execve, openat)'),
    );
    assert.deepEqual(
      rs.info.rules.map((r) => [r.name, r.enabled]),
      [
        ['Off', false],
        ['On', true],
      ],
    );
    assert.deepEqual([...rs.eventTypes()].sort(), ['execve', 'openat']);
    assert.deepEqual(fired(rs, sampleEvent({ type: 'ptrace' })), []);
  });

  it('a rule without evt.type needs every event type, with Falco’s warning', () => {
    const rs = load(rule('Any', 'proc.name = nc'));
    assert.equal(rs.info.rules[0].eventTypes, null);
    assert.equal(rs.eventTypes().size, EVENT_TYPES.length);
    assert.deepEqual(
      rs.info.warnings.map((w) => `${w.line}: ${w.message}`),
      ['1: Rule matches too many evt.type values. This has a significant performance penalty.'],
    );
    assert.deepEqual(load(rule('Quiet', 'proc.name = nc', ['  warn_evttypes: false'])).info.warnings, []);
  });

  it('a rule only for event types vigil does not produce is loaded, with a warning', () => {
    const rs = load(rule('Never', 'evt.type in (execveat, sendmsg)'));
    assert.equal(rs.info.rules[0].eventTypes?.size, 0);
    assert.deepEqual(
      rs.info.warnings.map((w) => w.message),
      ['Rule can never fire: vigil produces none of the event types its condition allows'],
    );
    assert.equal(rs.eventTypes().size, 0);
  });

  it('skip-if-unknown-filter: a rule with an unknown field is skipped, not an error', () => {
    const rs = load(
      rule('New', 'evt.type = execve and proc.future_field = 1', ['  skip-if-unknown-filter: true']),
    );
    assert.deepEqual(rs.info.rules, []);
    assert.equal(rs.info.skipped.length, 1);
    assert.match(rs.info.skipped[0].reason, /^skip-if-unknown-filter: unknown field 'proc\.future_field'/);
  });

  it("rule_matching 'first' (Falco's default) stops at the first rule in file order", () => {
    const files = [
      {
        path: 'r.yaml',
        text: [...rule('A', 'evt.type = execve'), ...rule('B', 'evt.type = execve')].join('\n'),
      },
    ];
    assert.deepEqual(
      loadRulesetFromSources(files)
        .evaluate(exec('ls'))
        .map((r) => r.name),
      ['A'],
    );
    assert.deepEqual(
      loadRulesetFromSources(files, 'all')
        .evaluate(exec('ls'))
        .map((r) => r.name),
      ['A', 'B'],
    );
  });

  it("unused macros and lists get Falco's warnings", () => {
    const rs = load([
      '- list: used_inner',
      '  items: [a]',
      '- list: used',
      '  items: [used_inner, b]',
      '- list: unused',
      '  items: [c]',
      '- macro: used_macro',
      '  condition: proc.name in (used)',
      '- macro: unused_macro',
      '  condition: proc.name = x',
      ...rule('R', 'evt.type = execve and used_macro'),
    ]);
    assert.deepEqual(
      rs.info.warnings.map((w) => `${w.line}:${w.col}: ${w.item?.kind} '${w.item?.name}': ${w.message}`),
      [
        "9:3: macro 'unused_macro': Macro not referenced by any rule/macro",
        "5:3: list 'unused': List not referenced by any rule/macro/list",
      ],
    );
  });

  it('required versions are reported', () => {
    const rs = load([
      '- required_engine_version: 0.26.0',
      '- required_plugin_versions:',
      '    - name: container',
      '      version: 0.4.0',
      '      alternatives:',
      '        - name: docker',
      '          version: 0.1.0',
    ]);
    assert.deepEqual(
      rs.info.requirements.engineVersions.map((v) => v.version),
      ['0.26.0'],
    );
    assert.deepEqual(rs.info.requirements.plugins[0].alternatives, [{ name: 'docker', version: '0.1.0' }]);
  });
});

describe('rule paths', () => {
  it('a directory loads its *.yaml files in name order, not its *.tests.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
    writeFileSync(join(dir, '10-base.yaml'), rule('R', 'evt.type = execve and proc.name = a').join('\n'));
    writeFileSync(
      join(dir, '20-local.yaml'),
      ['- rule: R', '  condition: or proc.name = b', '  override:', '    condition: append'].join('\n'),
    );
    writeFileSync(join(dir, '10-base.tests.yaml'), '- not: a rule file\n');
    const rs = loadRuleset([dir], 'all');
    assert.deepEqual(rs.info.files, [join(dir, '10-base.yaml'), join(dir, '20-local.yaml')]);
    assert.deepEqual(fired(rs, exec('b')), ['R']);
  });
});
