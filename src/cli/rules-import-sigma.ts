/**
 * `vigil rules import-sigma PATH...`: Sigma rule files (or directories of them) as Falco-format
 * YAML on stdout, for review, diffs and hand tuning; the output loads back to the same rules.
 * On stderr, one line per rule not converted (`file:line:col: rule 'TITLE': reason`) or
 * malformed, then `converted N of M`. Exit 1 when any file is malformed or unreadable.
 */
import { readFileSync } from 'node:fs';
import { ruleFiles } from '../engine/load-ruleset.js';
import { formatDiagnostic } from '../engine/rules/diagnostics.js';
import { convertSigma, falcoRuleYaml, parseSigmaFile } from '../engine/sigma/index.js';
import { SourceFile } from '../yaml/source-file.js';
import type { YMap } from '../yaml/yaml-tree.js';
import { lineOutputs, type LineOutputs } from './rules-cli.js';

export interface ImportSigmaOptions extends LineOutputs {
  paths: string[];
}

const HEADER = [
  '# Converted from Sigma by `vigil rules import-sigma`. Sigma rules keep their authors and',
  '# references (the Detection Rule License 1.1 of SigmaHQ asks for attribution): see each `sigma` key.',
];

export async function run(opts: ImportSigmaOptions): Promise<number> {
  const { out, err } = lineOutputs(opts);
  let files: string[];
  try {
    files = ruleFiles(opts.paths);
  } catch (e) {
    err(`vigil rules import-sigma: ${(e as Error).message}`);
    return 1;
  }
  let failed = false;
  const docs: { file: SourceFile; root: YMap }[] = [];
  for (const path of files) {
    const file = new SourceFile(path, readFileSync(path, 'utf8'));
    const root = parseSigmaFile(file);
    if (root === null) {
      err(`${path}: not a Sigma rule (no 'detection' and 'logsource', or not valid YAML)`);
      failed = true;
    } else docs.push({ file, root });
  }
  const results = convertSigma(docs, new Set());
  let converted = 0;
  if (results.some((r) => r.rule)) out(HEADER.join('\n'));
  for (const r of results) {
    if (r.rule) {
      converted++;
      out('');
      out(falcoRuleYaml(r.rule).trimEnd());
    } else if (r.notConverted) {
      err(`${formatDiagnostic(r.notConverted)} (not converted)`);
    } else if (r.error) {
      err(formatDiagnostic(r.error));
      failed = true;
    }
  }
  err(`converted ${converted} of ${files.length}`);
  return failed ? 1 : 0;
}
