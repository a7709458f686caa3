/**
 * Sigma rule files beside Falco-format ones: each Sigma document converted to one Falco-format
 * rule (YAML text that loads through the same reader and compiler), or the reason it was not.
 * Used by the loader (load-ruleset.ts) and `vigil rules import-sigma`.
 */
import * as yaml from 'js-yaml';
import { basename } from 'node:path';
import { diagnosticAt, type Diagnostic } from '../rules/diagnostics.js';
import type { SourceFile } from '../../yaml/source-file.js';
import type { YMap } from '../../yaml/yaml-tree.js';
import { convertSigmaDoc, type FalcoRuleOut } from './convert.js';
import { readSigmaDoc, SigmaError, SigmaUnsupported, type SigmaDoc } from './document.js';

export { isSigmaRoot, parseSigmaFile, SIGMA_STATUSES, type SigmaStatus } from './document.js';

export interface SigmaConversion {
  file: SourceFile;
  /** The converted rule; absent when not converted. */
  rule?: FalcoRuleOut;
  /** Why the rule was not converted (a valid rule vigil cannot express faithfully). */
  notConverted?: Diagnostic;
  /** What is wrong with a malformed Sigma file. */
  error?: Diagnostic;
}

/**
 * Converts Sigma documents (already parsed). Rule names are the titles; a title used twice, or
 * already a rule name in `taken` (Falco-format rules loaded with them), gets the Sigma id appended.
 */
export function convertSigma(
  docs: readonly { file: SourceFile; root: YMap }[],
  taken: ReadonlySet<string>,
): SigmaConversion[] {
  const read: (SigmaDoc | SigmaConversion)[] = docs.map(({ file, root }) => {
    try {
      return readSigmaDoc(file, root);
    } catch (e) {
      return { file, error: problem(e, null) };
    }
  });
  const count = new Map<string, number>();
  for (const d of read) if ('title' in d) count.set(d.title, (count.get(d.title) ?? 0) + 1);
  return read.map((d) => {
    if (!('title' in d)) return d;
    const unique = count.get(d.title) === 1 && !taken.has(d.title);
    const name = unique ? d.title : `${d.title} (${d.id ?? basename(d.file.path)})`;
    try {
      return { file: d.file, rule: convertSigmaDoc(d, name) };
    } catch (e) {
      const diag = problem(e, d.title);
      return e instanceof SigmaUnsupported
        ? { file: d.file, notConverted: diag }
        : { file: d.file, error: diag };
    }
  });
}

function problem(e: unknown, title: string | null): Diagnostic {
  if (e instanceof SigmaError || e instanceof SigmaUnsupported) {
    return diagnosticAt(e.loc, title === null ? null : { kind: 'rule', name: title }, e.message);
  }
  throw e;
}

/** A converted rule as Falco-format YAML (one item of a rule file). */
export function falcoRuleYaml(rule: FalcoRuleOut): string {
  const item = {
    rule: rule.rule,
    desc: rule.desc,
    condition: rule.condition,
    output: rule.output,
    priority: rule.priority,
    tags: rule.tags,
    sigma: rule.sigma,
  };
  return yaml.dump([item], { lineWidth: 110, noRefs: true });
}
