/**
 * Loading rules: paths (files, or directories of *.yaml / *.yml, sorted) read
 * in order, later files amending earlier ones, compiled as a whole. All or
 * nothing: any error throws RulesetLoadError with every problem found. Sigma
 * rule files among them are converted to Falco-format rules first (src/engine/sigma/);
 * a Sigma rule vigil cannot express faithfully is skipped, with its reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ruleset, type RuleMatching } from './ruleset.js';
import { Collector } from './rules/collect.js';
import { compileRules } from './rules/compile-rules.js';
import { RulesetLoadError } from './rules/diagnostics.js';
import { readRuleFile } from './rules/read.js';
import type { Diagnostic } from './rules/diagnostics.js';
import type { Item } from './rules/items.js';
import {
  convertSigma,
  falcoRuleYaml,
  parseSigmaFile,
  SIGMA_STATUSES,
  type SigmaStatus,
} from './sigma/index.js';
import type { YMap } from '../yaml/yaml-tree.js';
import { SourceFile } from '../yaml/source-file.js';
import { assertTrusted } from '../config/trusted-file.js';
import { PRIORITIES, type Priority } from '../event/alert.js';
import type { CompiledRule, SkippedRule } from './rules/compile-rules.js';

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
  /** Rules converted from Sigma with a less trusted status are loaded disabled (default: test). */
  minStatus?: SigmaStatus;
}

/** The rules with the configuration's disabling applied (a rule it disables keeps enabled=false). */
function applyOptions(rules: CompiledRule[], opts: LoadOptions): CompiledRule[] {
  const maxRank = opts.minPriority ? PRIORITIES.indexOf(opts.minPriority) : PRIORITIES.length;
  const names = new Set(opts.disabledRules ?? []);
  const tags = new Set(opts.disabledTags ?? []);
  const maxStatus = SIGMA_STATUSES.indexOf(opts.minStatus ?? 'test');
  // A Sigma rule without a status is not judged by it.
  const statusTooLow = (r: CompiledRule): boolean =>
    r.sigma?.status !== undefined && SIGMA_STATUSES.indexOf(r.sigma.status as SigmaStatus) > maxStatus;
  return rules.map((r) =>
    r.enabled &&
    (PRIORITIES.indexOf(r.priority) > maxRank ||
      names.has(r.name) ||
      r.tags.some((t) => tags.has(t)) ||
      statusTooLow(r))
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
  const { read, skipped: notConverted } = readSources(sources);
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
      skipped: [...notConverted, ...compiled.skipped],
      warnings: compiled.warnings,
      requirements: col.requirements,
      lists: col.lists.size,
      macros: col.macros.size,
    },
    matching,
  );
}

/** Sigma files are recognised by their text before any YAML is parsed twice. */
const MAYBE_SIGMA = /^detection\s*:/m;

/**
 * Every source's items, in order: Falco-format files read as they are, Sigma files converted
 * (one rule each) and read from the converted text, so both go through the same reader.
 */
function readSources(sources: readonly RuleSource[]): {
  read: { items: Item[]; errors: Diagnostic[] }[];
  skipped: SkippedRule[];
} {
  const files = sources.map((src) => new SourceFile(src.path, src.text));
  const sigma = files.map((f) => (MAYBE_SIGMA.test(f.text) ? parseSigmaFile(f) : null));
  const read = files.map((f, i) => (sigma[i] === null ? readRuleFile(f) : { items: [], errors: [] }));
  const taken = new Set(read.flatMap((r) => r.items.flatMap((it) => (it.kind === 'rule' ? [it.name] : []))));
  const docs = files.flatMap((file, i) => (sigma[i] ? [{ file, root: sigma[i] as YMap }] : []));
  const skipped: SkippedRule[] = [];
  const converted = new Map(convertSigma(docs, taken).map((c) => [c.file, c]));
  files.forEach((f, i) => {
    const c = converted.get(f);
    if (c === undefined) return;
    if (c.error) read[i] = { items: [], errors: [c.error] };
    else if (c.rule) read[i] = readRuleFile(new SourceFile(f.path, falcoRuleYaml(c.rule)));
    else if (c.notConverted) {
      const where = c.notConverted;
      skipped.push({
        name: where.item?.name ?? f.path,
        reason: `Sigma rule not converted: ${where.message}`,
        where,
      });
    }
  });
  return { read, skipped };
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
