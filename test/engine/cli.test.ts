/**
 * `vigil rules check`, `vigil rules test` and `vigil replay`, through their
 * run() with output captured: real files on disk, no kernel.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run as rulesCheck } from '../../src/cli/rules-check.js';
import { run as rulesTest } from '../../src/cli/rules-test.js';
import { run as replay } from '../../src/cli/replay.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { eventToJson, parseEventLine } from '../../src/event/json.js';
import type { Alert } from '../../src/event/alert.js';
import { FALCO_RULES, falcoRulesMissing } from '../support/falco.js';

const FIXTURES = 'test/fixtures/rules';

function capture(): { out: string[]; err: string[]; o: (l: string) => void; e: (l: string) => void } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (l) => out.push(l), e: (l) => err.push(l) };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vigil-cli-'));

describe('vigil rules check', () => {
  it('prints a summary and exits 0 for good rules', async () => {
    const c = capture();
    assert.equal(await rulesCheck({ paths: [FIXTURES], out: c.o, err: c.e }), 0);
    assert.deepEqual(c.out.slice(0, 3), [
      `loaded ${FIXTURES}/basic.yaml`,
      'rules: 2 enabled, 0 disabled, 0 skipped; macros: 2; lists: 1',
      'event types needed: execve, open, openat, openat2',
    ]);
    // Then how enforcement would carry out each action (src/enforce), one line per rule with one.
    assert.ok(c.out.slice(3).every((l) => l.startsWith('enforce: Shadow read: kill: ')));
    assert.deepEqual(c.err, []);
  });

  it("loads Falco's stable ruleset and reports its requirements", async (t) => {
    if (falcoRulesMissing() !== null) return t.skip(`${FALCO_RULES} is not on this machine`);
    const c = capture();
    assert.equal(await rulesCheck({ paths: [FALCO_RULES], out: c.o, err: c.e }), 0);
    assert.equal(c.out[1], 'rules: 25 enabled, 0 disabled, 0 skipped; macros: 87; lists: 49');
    assert.ok(c.out.includes(`required_engine_version: 0.57.0 (${FALCO_RULES}:28:28)`));
    assert.ok(c.out.includes('required_plugin_versions: container 0.4.0'));
  });

  it('exits 1 with file:line:col: rule: message for a bad file', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      '- rule: Bad\n  desc: d\n  condition: evt.type = execve and proc.nmae = x\n  output: o\n  priority: INFO\n',
    );
    const c = capture();
    assert.equal(await rulesCheck({ paths: [file], out: c.o, err: c.e }), 1);
    assert.deepEqual(c.err, [
      `${file}:3:36: rule 'Bad': unknown field 'proc.nmae'`,
      '1 error: nothing loaded',
    ]);
    assert.deepEqual(c.out, []);
  });

  it('lists disabled and skipped rules', async () => {
    const dir = tmp();
    const file = join(dir, 'r.yaml');
    writeFileSync(
      file,
      [
        '- rule: Off',
        '  desc: d',
        '  condition: evt.type = execve',
        '  output: o',
        '  priority: INFO',
        '  enabled: false',
        '- rule: Audit',
        '  desc: d',
        '  condition: ka.verb = create',
        '  output: o',
        '  priority: INFO',
        '  source: k8s_audit',
      ].join('\n'),
    );
    const c = capture();
    assert.equal(await rulesCheck({ paths: [file], out: c.o, err: c.e }), 0);
    assert.deepEqual(c.out.slice(1), [
      'rules: 0 enabled, 1 disabled, 1 skipped; macros: 0; lists: 0',
      'event types needed: (none)',
      `disabled: Off (${file}:1)`,
      `skipped: Audit: source 'k8s_audit' is not run by vigil (only syscall rules run) (${file}:7)`,
    ]);
  });
});

describe('vigil rules test', () => {
  it('runs the cases stored beside the rules', async () => {
    const c = capture();
    assert.equal(await rulesTest({ paths: [`${FIXTURES}/basic.yaml`], out: c.o, err: c.e }), 0);
    assert.deepEqual(c.out, [
      'ok   a shell in a container',
      'ok   a shell on the host is not an alert',
      'ok   cat reads /etc/shadow',
      'ok   sshd reading /etc/shadow is trusted',
      '4 passed, 0 failed',
    ]);
  });

  it('exits 1 and says why when a case fails', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'r.yaml'),
      '- rule: Ls\n  desc: d\n  condition: evt.type = execve and proc.name = ls\n  output: ran %proc.name\n  priority: INFO\n',
    );
    writeFileSync(
      join(dir, 'r.tests.yaml'),
      [
        '- test: ls alerts with another output',
        '  event: { type: execve, proc: { exe: /usr/bin/ls, args: [ls] } }',
        '  alerts: [{ rule: Ls, output: ran cat }]',
        '- test: cat is benign, but expected to alert',
        '  event: { type: execve, proc: { exe: /usr/bin/cat, args: [cat] } }',
        '  alerts: [{ rule: Ls }]',
      ].join('\n'),
    );
    const c = capture();
    assert.equal(await rulesTest({ paths: [dir], out: c.o, err: c.e }), 1);
    assert.deepEqual(c.out, [
      `FAIL ls alerts with another output (${join(dir, 'r.tests.yaml')}:1)`,
      "     rule 'Ls': output\n      expected: ran cat\n      actual:   ran ls",
      `FAIL cat is benign, but expected to alert (${join(dir, 'r.tests.yaml')}:4)`,
      "     expected rule 'Ls' to fire; it did not",
      '0 passed, 2 failed',
    ]);
  });

  it('reports a malformed test file with its position', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'r.yaml'), '- list: l\n  items: [a]\n');
    writeFileSync(join(dir, 'r.tests.yaml'), '- test: t\n  event: {type: execve}\n  expect: []\n');
    const c = capture();
    assert.equal(await rulesTest({ paths: [dir], out: c.o, err: c.e }), 1);
    assert.deepEqual(c.err, [`${join(dir, 'r.tests.yaml')}:3:3: Unknown key 'expect' in a test case`]);
  });
});

describe('vigil replay', () => {
  it('prints one alert JSON per matching event', async () => {
    const dir = tmp();
    const file = join(dir, 'events.jsonl');
    const shell = sampleEvent({
      type: 'execve',
      proc: { exe: '/bin/sh', args: ['sh'], container_id: 'abcdef012345' },
    });
    const ls = sampleEvent({ type: 'execve', proc: { exe: '/bin/ls', args: ['ls'] } });
    writeFileSync(file, [shell, ls].map(eventToJson).join('\n') + '\n');
    const c = capture();
    assert.equal(await replay({ file, rules: [FIXTURES], out: c.o, err: c.e }), 0);
    assert.equal(c.out.length, 1);
    const alert = JSON.parse(c.out[0]) as Alert;
    assert.equal(alert.rule, 'Shell in container');
    assert.equal(alert.priority, 'Notice');
    assert.equal(alert.output, 'Shell in container (user=root command=sh container=abcdef012345)');
    assert.deepEqual(alert.output_fields, {
      'user.name': 'root',
      'proc.cmdline': 'sh',
      'container.id': 'abcdef012345',
    });
    assert.deepEqual(alert.event, parseEventLine(eventToJson(shell)));
    assert.deepEqual(c.err, ['vigil replay: 2 events, 1 alerts']);
  });

  it('exits 1 naming the line of a bad event', async () => {
    const dir = tmp();
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, eventToJson(sampleEvent()) + '\n{"type": "nonsense"}\n');
    const c = capture();
    assert.equal(await replay({ file, rules: [FIXTURES], out: c.o, err: c.e }), 1);
    assert.match(c.err[0], new RegExp(`^${file}: line 2: `));
  });
});
