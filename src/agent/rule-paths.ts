/**
 * Which rules the agent runs and how it loads them: the same for `vigil run`, every reload and
 * `vigil replay`, so that replay evaluates what the agent evaluated.
 */
import { resolve } from 'node:path';
import { bundledRulesDir, type VigilConfig } from '../config/index.js';
import type { Priority } from '../event/alert.js';
import { ruleFiles, type LoadOptions } from '../engine/load-ruleset.js';
import type { SigmaStatus } from '../engine/sigma/index.js';

/** The self-protection rule (Agent tampering): loaded whatever the rule paths. */
const SELF_PROTECTION_FILE = '05-self-protection.yaml';

/** The rule paths in force: those given (--rules), else the config's, else the bundled rules/. */
export function agentRulePaths(given: readonly string[] | undefined, config: VigilConfig): string[] {
  if (given && given.length > 0) return withSelfProtection(given);
  if (config.rules.paths.length > 0) return withSelfProtection(config.rules.paths);
  return [bundledRulesDir()];
}

/**
 * The self-protection file comes first when the paths do not include it, so that a later file
 * can tune it (exceptions, or engine.disabled_rules to turn it off).
 */
function withSelfProtection(paths: readonly string[]): string[] {
  const file = resolve(bundledRulesDir(), SELF_PROTECTION_FILE);
  let files: string[] = [];
  try {
    files = ruleFiles(paths);
  } catch {
    // A path that does not exist: the load reports it.
  }
  return files.some((f) => resolve(f) === file) ? [...paths] : [file, ...paths];
}

/** `--min-status` (run, replay, rules check) over the configuration's `engine.min_status`. */
export function withMinStatus(config: VigilConfig, minStatus: string | undefined): VigilConfig {
  return minStatus === undefined
    ? config
    : { ...config, engine: { ...config.engine, min_status: minStatus } };
}

/**
 * The configuration's disabling, for the first load and every reload. `trusted`: only files no
 * other user can write (a rule file is code that runs as root); the agent always asks for it.
 */
export function agentLoadOptions(config: VigilConfig, trusted: boolean): LoadOptions {
  return {
    trusted,
    minPriority: config.engine.min_priority as Priority,
    minStatus: config.engine.min_status as SigmaStatus,
    disabledRules: config.engine.disabled_rules,
    disabledTags: config.engine.disabled_tags,
  };
}
