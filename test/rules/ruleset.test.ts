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
import { readTestCases } from '../../src/engine/rule-tests/cases.js';
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
