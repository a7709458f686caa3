/**
 * `vigil rules check [P]...`: loads rule files the way `vigil run` does and
 * prints a summary, or every error as `file:line:col: rule 'NAME': message`
 * (exit 1). No root, no kernel.
 */
import { loadRuleset } from '../engine/load-ruleset.js';
import { warningReport } from '../engine/rules/diagnostics.js';
import type { SigmaStatus } from '../engine/sigma/index.js';
import { CLASS_TEXT, planRules } from '../plan/enforcement.js';
import { lineOutputs, loadOrReport, rulePathsOrBundled, type LineOutputs } from './rules-cli.js';

export interface RulesCheckOptions extends LineOutputs {
  paths?: string[];
  /** Sigma rules less trusted than this load disabled (default: test). */
  minStatus?: SigmaStatus;
}

export async function run(opts: RulesCheckOptions): Promise<number> {
  const { out, err } = lineOutputs(opts);
  const ruleset = loadOrReport(
    'rules check',
    err,
    () =>
      loadRuleset(
        rulePathsOrBundled(opts.paths),
        undefined,
        opts.minStatus ? { minStatus: opts.minStatus } : {},
      ),
    true,
  );
  if (ruleset === null) return 1;
  const info = ruleset.info;
  const enabled = info.rules.filter((r) => r.enabled).length;
  const disabled = info.rules.length - enabled;
  for (const f of info.files) out(`loaded ${f}`);
  out(
    `rules: ${enabled} enabled, ${disabled} disabled, ${info.skipped.length} skipped; ` +
      `macros: ${info.macros}; lists: ${info.lists}`,
  );
  const types = [...ruleset.eventTypes()].sort();
  out(`event types needed: ${types.length > 0 ? types.join(', ') : '(none)'}`);
  for (const r of info.rules.filter((x) => !x.enabled)) out(`disabled: ${r.name} (${r.file}:${r.line})`);
  for (const s of info.skipped) out(`skipped: ${s.name}: ${s.reason} (${s.where.file}:${s.where.line})`);
  for (const v of info.requirements.engineVersions) {
    const { line, col } = v.loc.file.position(v.loc.offset);
    out(`required_engine_version: ${v.version} (${v.loc.file.path}:${line}:${col})`);
  }
  for (const p of info.requirements.plugins) {
    const alts = p.alternatives.map((a) => `${a.name} ${a.version}`).join(', ');
    out(`required_plugin_versions: ${p.name} ${p.version}${alts ? ` (alternatives: ${alts})` : ''}`);
  }
  // With --enforce, what each rule's action gets (CLASS_TEXT) and how, or why not in the kernel.
  for (const p of planRules(ruleset.enabledRules))
    out(`enforce: ${p.rule}: ${p.action}: ${CLASS_TEXT[p.class]}: ${p.mode === 'kernel' ? p.how : p.why}`);
  for (const w of info.warnings) err(warningReport(w).text);
  return 0;
}
