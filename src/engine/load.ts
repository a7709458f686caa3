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

export function loadRulesetFromSources(sources: readonly RuleSource[], matching?: RuleMatching): Ruleset {
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
      rules: compiled.rules,
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
export function loadRuleset(paths: readonly string[], matching?: RuleMatching): Ruleset {
  const sources = ruleFiles(paths).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  return loadRulesetFromSources(sources, matching);
}
