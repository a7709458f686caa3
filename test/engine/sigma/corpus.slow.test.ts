/**
 * SigmaHQ's Linux rules (../shared/sigma, never copied here): the conversion rate by category,
 * (slow: the whole corpus is converted and compiled three times),
 * every converted rule loads (as `vigil rules check` loads it, beside the bundled rules), and
 * the YAML `vigil rules import-sigma` prints loads back to the same rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bundledRulesDir } from '../../../src/config/paths.js';
import { loadRuleset, loadRulesetFromSources, ruleFiles } from '../../../src/engine/load-ruleset.js';
import { run as importSigma } from '../../../src/cli/rules-import-sigma.js';
import { SIGMA_RULES, sigmaRulesMissing } from '../../support/sigma.js';

const missing = sigmaRulesMissing();
const dir = (category: string): string => join(SIGMA_RULES, 'linux', category);
const MAIN = ['process_creation', 'file_event', 'network_connection'];

test('SigmaHQ process_creation, file_event, network_connection: at least 90% convert and load', (t) => {
  if (missing !== null) return t.skip(missing);
  const rs = loadRuleset([bundledRulesDir(), ...MAIN.map(dir)], 'all');
  let total = 0;
  for (const category of MAIN) {
    const files = ruleFiles([dir(category)]);
    const converted = rs.info.rules.filter((r) => r.sigma?.file?.startsWith(dir(category) + '/')).length;
    t.diagnostic(`${category}: ${converted} of ${files.length} converted`);
    total += files.length;
  }
  const converted = rs.info.rules.filter((r) => r.sigma !== undefined).length;
  assert.ok(converted >= Math.ceil(total * 0.9), `${converted} of ${total}`);
  for (const s of rs.info.skipped) assert.match(s.reason, /^Sigma rule not converted: /);
});

test('SigmaHQ auditd: converted rules load, the rest have reasons', (t) => {
  if (missing !== null) return t.skip(missing);
  const dirs = ['auditd', 'auditd/execve', 'auditd/path', 'auditd/syscall', 'auditd/service_stop'].map(dir);
  const rs = loadRuleset(dirs, 'all');
  const total = ruleFiles(dirs).length;
  t.diagnostic(`auditd: ${rs.info.rules.length} of ${total} converted`);
  assert.equal(rs.info.rules.length + rs.info.skipped.length, total);
  assert.ok(rs.info.rules.length >= Math.ceil(total * 0.75));
});

test('import-sigma output loads back to the same rules', async (t) => {
  if (missing !== null) return t.skip(missing);
  const out: string[] = [];
  const err: string[] = [];
  const code = await importSigma({ paths: MAIN.map(dir), out: (l) => out.push(l), err: (l) => err.push(l) });
  assert.equal(code, 0);
  const direct = loadRuleset(MAIN.map(dir), 'all').info.rules;
  assert.match(err[err.length - 1], new RegExp(`^converted ${direct.length} of \\d+$`));
  const back = loadRulesetFromSources([{ path: 'imported.yaml', text: out.join('\n') }], 'all').info.rules;
  assert.deepEqual(
    back.map((r) => [r.name, r.condition, r.priority, r.tags, r.enabled, r.sigma]),
    direct.map((r) => [r.name, r.condition, r.priority, r.tags, r.enabled, r.sigma]),
  );
  for (const line of err.slice(0, -1))
    assert.match(line, /^\/.+\.yml:\d+:\d+: rule '.+': .+ \(not converted\)$/);
});
