/**
 * Where Falco's stable ruleset (a compatibility fixture, never copied into the repository) is:
 * `../shared/falco/falco_rules.yaml` beside the checkout, as on the developers' machines and in
 * CI, or $VIGIL_FALCO_RULES.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/config/paths.js';

export const FALCO_RULES =
  process.env.VIGIL_FALCO_RULES ?? join(packageRoot(), '../shared/falco/falco_rules.yaml');

/** Null when the fixture is there; otherwise why not. With CI set, its absence is an error. */
export function falcoRulesMissing(): string | null {
  if (existsSync(FALCO_RULES)) return null;
  const why = `Falco's stable ruleset is not at ${FALCO_RULES}`;
  if (process.env.CI) throw new Error(`${why}, and CI is set: the compatibility tests must run`);
  return why;
}

/** Falco's incubating, sandbox and deprecated rulesets, vendored unchanged (test/fixtures/falco/README.md). */
const FIXTURES = join(packageRoot(), 'test/fixtures/falco');
export const FALCO_INCUBATING = join(FIXTURES, 'falco-incubating_rules.yaml');
export const FALCO_SANDBOX = join(FIXTURES, 'falco-sandbox_rules.yaml');
export const FALCO_DEPRECATED = join(FIXTURES, 'falco-deprecated_rules.yaml');
