/** Malformed Sigma gets a precise error (file:line:col), unsupported Sigma a reason; never a crash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RulesetLoadError, formatDiagnostic } from '../../../src/engine/rules/diagnostics.js';
import { load, sigmaDoc } from './support.js';

function loadError(text: string): string {
  try {
    load(text);
  } catch (e) {
    assert.ok(e instanceof RulesetLoadError);
    return e.diagnostics.map(formatDiagnostic).join('\n');
  }
  assert.fail('expected a load error');
}

test('unknown modifier: error at the key', () => {
  const msg = loadError(sigmaDoc("    sel:\n        Image|endswit: '/id'\n    condition: sel"));
  assert.match(msg, /^rule\.yml:9:9: rule 'Test rule': unknown modifier 'endswit'$/);
});

test('condition naming a missing search: error at the name', () => {
  const msg = loadError(sigmaDoc("    sel:\n        Image: '/id'\n    condition: sel and nope"));
  assert.match(msg, /^rule\.yml:10:24: rule 'Test rule': condition names 'nope', which is not a search/);
});

test('bad condition syntax: error', () => {
  const msg = loadError(sigmaDoc("    sel:\n        Image: '/id'\n    condition: (sel and"));
  assert.match(msg, /rule\.yml:10:24: rule 'Test rule': condition: unexpected end/);
});

test('bad YAML in a Sigma file: error with the place', () => {
  const msg = loadError('title: x\nlogsource:\n  product: linux\ndetection:\n  sel: [a\n  condition: sel\n');
  assert.match(msg, /^rule\.yml:\d+:\d+: YAML syntax error/);
});

test('aggregation: not converted, with the reason and place', () => {
  const rs = load(sigmaDoc("    sel:\n        Image: '/id'\n    condition: sel | count() by User > 5"));
  assert.equal(rs.info.rules.length, 0);
  const s = rs.info.skipped[0];
  assert.equal(`${s.where.file}:${s.where.line}:${s.where.col}`, 'rule.yml:10:20');
  assert.match(s.reason, /aggregation '\| count\(\) by User > 5' is not supported/);
});

test('a field with no faithful mapping: not converted, never a different rule', () => {
  const rs = load(sigmaDoc("    sel:\n        OriginalFileName: 'x.exe'\n    condition: sel"));
  assert.equal(rs.info.rules.length, 0);
  assert.match(rs.info.skipped[0].reason, /field 'OriginalFileName': PE version information/);
});

test('--min-status: experimental rules load disabled by default', () => {
  const rs = load(
    sigmaDoc("    sel:\n        Image: '/id'\n    condition: sel").replace(
      'status: test',
      'status: experimental',
    ),
  );
  assert.equal(rs.info.rules[0].enabled, false);
});
