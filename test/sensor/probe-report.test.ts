/**
 * The probes report: each event type the sensor reports, with the rules that
 * need it or the process table's reason, as `vigil run` logs it and `vigil
 * doctor` prints it. Checked against the bundled rules too: every type the
 * ruleset asks for is reported with at least one rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledRulesDir } from '../../src/config/paths.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { EventType } from '../../src/event/types.js';
import { formatProbeReasons, probeReasons } from '../../src/sensor/probe-report.js';

const rule = (name: string, types: EventType[] | null) => ({
  name,
  eventTypes: types === null ? null : new Set(types),
});

test('each attached type lists the rules that need it; process-table types are always on', () => {
  const rules = [
    rule('A', ['openat']),
    rule('B', ['openat', 'connect']),
    rule('C', ['openat']),
    rule('D', ['openat']),
  ];
  const reasons = probeReasons(rules, new Set<EventType>(['openat', 'connect']));
  const by = new Map(reasons.map((r) => [r.type, r]));
  assert.deepEqual(
    reasons.map((r) => r.type),
    ['chdir', 'clone', 'connect', 'execve', 'openat', 'procexit'],
  );
  assert.deepEqual(by.get('openat'), {
    type: 'openat',
    rules: 4,
    names: ['A', 'B', 'C'],
    processTable: false,
  });
  assert.deepEqual(by.get('connect')?.names, ['B']);
  assert.equal(by.get('execve')?.processTable, true);
  const lines = formatProbeReasons(reasons);
  assert.ok(lines.includes('openat    4 rules: A, B, C, +1 more'), lines.join('\n'));
  assert.ok(lines.includes('connect   1 rule: B'), lines.join('\n'));
  assert.ok(lines.includes('clone     process table'), lines.join('\n'));
});

test('a rule with no event type constraint needs every probe', () => {
  const reasons = probeReasons([rule('any', null)], new Set<EventType>(['openat']));
  assert.ok(reasons.every((r) => r.rules === 1 && r.names[0] === 'any'));
});

test('bundled rules: every type the ruleset needs is reported with a rule that names it', () => {
  const rs = loadRuleset([bundledRulesDir()]);
  const reasons = probeReasons(rs.enabledRules, rs.eventTypes(), Infinity);
  for (const t of rs.eventTypes()) {
    const r = reasons.find((x) => x.type === t);
    assert.ok(r && r.rules > 0, `${t} is attached for the rules but no rule is named`);
    for (const name of r.names) {
      const compiled = rs.enabledRules.find((x) => x.name === name)!;
      assert.ok(compiled.eventTypes === null || compiled.eventTypes.has(t), `${name} does not need ${t}`);
    }
  }
});
