/**
 * `vigil rules test [P]...`: loads the rules named (default: the bundled
 * rules/) and runs the test cases stored beside them: `X.tests.yaml` next to
 * `X.yaml`, and every `*.tests.yaml` of a directory given. Exit 1 when a case
 * fails or a file is invalid.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuleset } from '../engine/load-ruleset.js';
import { readTestCases } from '../engine/rule-tests/cases.js';
import { monitorDetector } from '../agent/detect.js';
import { runTestCase } from '../agent/test-case.js';
import { lineOutputs, loadOrReport, rulePathsOrBundled, type LineOutputs } from './rules-cli.js';

export interface RulesTestOptions extends LineOutputs {
  paths?: string[];
}

/** The test files that go with these rule paths. */
export function testFilesFor(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const n of readdirSync(p).sort()) if (/\.tests\.ya?ml$/.test(n)) files.push(join(p, n));
    } else {
      const t = p.replace(/\.ya?ml$/, '.tests.yaml');
      if (t !== p && existsSync(t)) files.push(t);
    }
  }
  return files;
}

export async function run(opts: RulesTestOptions): Promise<number> {
  const { out, err } = lineOutputs(opts);
  const paths = rulePathsOrBundled(opts.paths);
  const loaded = loadOrReport('rules test', err, () => ({
    ruleset: loadRuleset(paths, 'all'),
    cases: testFilesFor(paths).flatMap((f) => readTestCases(f)),
  }));
  if (loaded === null) return 1;
  const { ruleset, cases } = loaded;
  const detector = monitorDetector(ruleset, 'rule-test');
  if (cases.length === 0) {
    err('vigil rules test: no test cases found (X.tests.yaml beside X.yaml)');
    return 1;
  }
  let failed = 0;
  for (const c of cases) {
    const r = runTestCase(detector, c);
    if (r.failures.length === 0) {
      out(`ok   ${c.name}`);
    } else {
      failed++;
      out(`FAIL ${c.name} (${c.file}:${c.line})`);
      for (const f of r.failures) out(`     ${f}`);
    }
  }
  out(`${cases.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
