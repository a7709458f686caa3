/**
 * Where SigmaHQ's Linux rules (test data, never copied into the repository) are:
 * `../shared/sigma` beside the checkout, as Falco's ruleset is (falco.ts), or $VIGIL_SIGMA_RULES.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/config/paths.js';

export const SIGMA_RULES = process.env.VIGIL_SIGMA_RULES ?? join(packageRoot(), '../shared/sigma');

/** Null when the corpus is there; otherwise why not. With CI set, its absence is an error. */
export function sigmaRulesMissing(): string | null {
  if (existsSync(join(SIGMA_RULES, 'linux'))) return null;
  const why = `SigmaHQ's Linux rules are not at ${SIGMA_RULES}`;
  if (process.env.CI) throw new Error(`${why}, and CI is set: the Sigma corpus tests must run`);
  return why;
}
