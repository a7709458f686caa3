/**
 * Loading rules: paths (files, or directories of *.yaml / *.yml, sorted) read
 * in order, later files amending earlier ones, compiled as a whole. All or
 * nothing: any error throws RulesetLoadError with every problem found.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ruleset, type RuleMatching } from './ruleset.js';
import { Collector } from './rules/collect.js';
import { compileRules } from './rules/compile.js';
import { RulesetLoadError } from './rules/errors.js';
import { readRuleFile } from './rules/read.js';
import { SourceFile } from './rules/source.js';
import { assertTrusted } from '../config/trusted-file.js';
import { PRIORITIES, type Priority } from '../event/alert.js';
import type { CompiledRule } from './rules/compile.js';

/** What the agent's configuration asks of a load (Falco's `priority`, `-D`, `-T`, and trust). */
export interface LoadOptions {
  /** Refuse rule files writable by anyone but root (a rule file is code that runs as root). */
  trusted?: boolean;
  /** Rules less severe than this are loaded disabled. */
  minPriority?: Priority;
  /** Rules with these names are loaded disabled. */
  disabledRules?: readonly string[];
  /** Rules carrying any of these tags are loaded disabled. */
  disabledTags?: readonly string[];
}

/** The rules with the configuration's disabling applied (a rule it disables keeps enabled=false). */
function applyOptions(rules: CompiledRule[], opts: LoadOptions): CompiledRule[] {
  const maxRank = opts.minPriority ? PRIORITIES.indexOf(opts.minPriority) : PRIORITIES.length;
  const names = new Set(opts.disabledRules ?? []);
  const tags = new Set(opts.disabledTags ?? []);
  if (maxRank === PRIORITIES.length && names.size === 0 && tags.size === 0) return rules;
  return rules.map((r) =>
    r.enabled &&
    (PRIORITIES.indexOf(r.priority) > maxRank || names.has(r.name) || r.tags.some((t) => tags.has(t)))
      ? { ...r, enabled: false }
      : r,
  );
}

export interface RuleSource {
  path: string;
  text: string;
}

/** The rule files named by paths, in load order. Rule test files (*.tests.yaml) are not rules. */
export function ruleFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => /\.ya?ml$/.test(n) && !/\.tests\.ya?ml$/.test(n))
        .sort();
      for (const n of names) files.push(join(p, n));
    } else {
      files.push(p);
    }
  }
  return files;
}

export function loadRulesetFromSources(
  sources: readonly RuleSource[],
  matching?: RuleMatching,
  opts: LoadOptions = {},
): Ruleset {
  // Each phase runs only on a clean previous one, so one mistake is reported once, not as a cascade.
  const col = new Collector();
  const read = sources.map((src) => readRuleFile(new SourceFile(src.path, src.text)));
  const readErrors = read.flatMap((r) => r.errors);
  if (readErrors.length > 0) throw new RulesetLoadError(readErrors);
  for (const r of read) for (const item of r.items) col.add(item);
  if (col.errors.length > 0) throw new RulesetLoadError(col.errors);
  const compiled = compileRules(col);
  if (compiled.errors.length > 0) throw new RulesetLoadError(compiled.errors);
  return new Ruleset(
    {
      files: sources.map((s) => s.path),
      rules: applyOptions(compiled.rules, opts),
      skipped: compiled.skipped,
      warnings: compiled.warnings,
      requirements: col.requirements,
      lists: col.lists.size,
      macros: col.macros.size,
    },
    matching,
  );
}

/** Reads and compiles rule files or directories. Throws RulesetLoadError (or an fs error). */
export function loadRuleset(
  paths: readonly string[],
  matching?: RuleMatching,
  opts: LoadOptions = {},
): Ruleset {
  const files = ruleFiles(paths);
  if (opts.trusted) for (const f of files) assertTrusted(f, 'rule file');
  const sources = files.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  return loadRulesetFromSources(sources, matching, opts);
}
