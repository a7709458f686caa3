/**
 * Output templates rendered as Falco renders them, and the alert object.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAlert } from '../../src/agent/build-alert.js';
import { formatEventTime } from '../../src/event/time.js';
import { loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { OutputTemplateError, parseOutputTemplate, renderOutput } from '../../src/engine/output-template.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';

const ev = sampleEvent({
  type: 'openat',
  ret: 3,
  args: { fd: 3, name: '/etc/shadow', flags: 'O_RDONLY|O_CLOEXEC' },
  rawargs: { flags: 0o2000000 },
  fd: { num: 3, type: 'file', name: '/etc/shadow' },
  proc: {
    exe: '/usr/bin/cat',
    args: ['cat', '/etc/shadow'],
    env: ['HOME=/root', 'LD_PRELOAD=/tmp/x.so'],
    ancestors: [{ exe: '/usr/bin/bash' }, { exe: '/usr/sbin/sshd' }],
  },
});

const render = (t: string): { output: string; fields: Record<string, unknown> } =>
  renderOutput(parseOutputTemplate(t), ev);

describe('output templates', () => {
  it('plain fields, indexed and keyed arguments, missing values as <NA>', () => {
    assert.equal(
      render(
        '%proc.name read %fd.name (gparent=%proc.aname[2] gggparent=%proc.aname[4] flags=%evt.arg.flags)',
      ).output,
      'cat read /etc/shadow (gparent=sshd gggparent=<NA> flags=O_RDONLY|O_CLOEXEC)',
    );
    assert.equal(render('%evt.arg[flags] %proc.env[LD_PRELOAD]').output, 'O_RDONLY|O_CLOEXEC /tmp/x.so');
  });

  it('the longest field name wins, and text right after a field stays text', () => {
    assert.equal(render('%proc.exepath|%proc.exe|(%proc.name)').output, '/usr/bin/cat|cat|(cat)');
  });

  it('transformers and a width prefix', () => {
    assert.equal(render('%toupper(proc.name) %basename(fd.name) %20proc.name').output, 'CAT shadow cat');
  });

  it('output_fields: every field named, typed as Falco types them, null for no value', () => {
    const r = render('%proc.name %proc.pid %fd.num %proc.aname[4] %evt.is_open_read %proc.name');
    assert.deepEqual(r.fields, {
      'proc.name': 'cat',
      'proc.pid': 4242,
      'fd.num': 3,
      'proc.aname[4]': null,
      'evt.is_open_read': true,
    });
    assert.deepEqual(parseOutputTemplate('%proc.name %proc.pid %proc.name').fields, [
      'proc.name',
      'proc.pid',
    ]);
  });

  it('a field that does not exist, a bad argument, a dangling %', () => {
    const error = (t: string): [string, number] => {
      try {
        parseOutputTemplate(t);
      } catch (err) {
        if (err instanceof OutputTemplateError) return [err.message, err.offset];
        throw err;
      }
      assert.fail('parsed');
    };
    assert.deepEqual(error('x %nosuch.field y'), ['invalid formatting token %nosuch.field', 2]);
    assert.deepEqual(error('%proc.aname[two]'), [
      "field 'proc.aname' needs a numeric argument, not 'two'",
      0,
    ]);
    assert.deepEqual(error('at 100%'), ['invalid formatting syntax: formatting cannot end with a %', 6]);
  });
});

describe('alerts', () => {
  it('formats the event time as RFC 3339 with nanoseconds', () => {
    assert.equal(formatEventTime(1732395600123456768), '2024-11-23T21:00:00.123456768Z');
    assert.equal(formatEventTime(1700000000000000000), '2023-11-14T22:13:20.000000000Z');
  });

  it('builds the alert JSON in one call', () => {
    const rs = loadRulesetFromSources([
      {
        path: 'r.yaml',
        text: [
          '- rule: Shadow',
          '  desc: d',
          '  condition: evt.type = openat and fd.name = /etc/shadow',
          '  output: "%proc.name read %fd.name"',
          '  priority: warning',
          '  tags: [filesystem, T1003]',
          '  action: kill',
        ].join('\n'),
      },
    ]);
    const [rule] = rs.evaluate(ev);
    assert.equal(rule.action, 'kill');
    const a = buildAlert(rule, ev, 'node-7');
    assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(
      { ...a, uuid: '' },
      {
        uuid: '',
        time: '2024-11-23T21:00:00.123456768Z',
        hostname: 'node-7',
        rule: 'Shadow',
        priority: 'Warning',
        source: 'syscall',
        tags: ['filesystem', 'T1003'],
        output: 'cat read /etc/shadow',
        output_fields: { 'proc.name': 'cat', 'fd.name': '/etc/shadow' },
        action: 'alert',
        event: { ...ev, proc: { ...ev.proc, env: [] } },
      },
    );
    assert.notEqual(buildAlert(rule, ev).uuid, a.uuid);
  });

  it('carries the environment the output or the config asks for, redacted', () => {
    const withSecret = { ...ev, proc: { ...ev.proc, env: [...ev.proc.env, 'DB_PASSWORD=hunter2'] } };
    const rs = loadRulesetFromSources([
      {
        path: 'r.yaml',
        text: [
          '- rule: Preload',
          '  desc: d',
          '  condition: evt.type = openat',
          '  output: "preload=%proc.env[LD_PRELOAD] pw=%proc.env[DB_PASSWORD]"',
          '  priority: warning',
        ].join('\n'),
      },
    ]);
    const [rule] = rs.evaluate(withSecret);
    const a = buildAlert(rule, withSecret, 'node-7');
    assert.deepEqual(a.event.proc.env, ['LD_PRELOAD=/tmp/x.so', 'DB_PASSWORD=<redacted>']);
    assert.equal(a.output, 'preload=/tmp/x.so pw=<redacted>');
    assert.deepEqual(a.output_fields, {
      'proc.env[LD_PRELOAD]': '/tmp/x.so',
      'proc.env[DB_PASSWORD]': '<redacted>',
    });
    const all = buildAlert(rule, withSecret, 'node-7', true);
    assert.deepEqual(all.event.proc.env, ['HOME=/root', 'LD_PRELOAD=/tmp/x.so', 'DB_PASSWORD=<redacted>']);
    const named = buildAlert(rule, withSecret, 'node-7', new Set(['HOME']));
    assert.deepEqual(named.event.proc.env, ['HOME=/root', 'LD_PRELOAD=/tmp/x.so', 'DB_PASSWORD=<redacted>']);
  });
});
