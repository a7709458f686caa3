/**
 * What the offline rule commands (`rules check`, `rules test`, `replay`) share:
 * where their lines go, which rules they load (the paths given, else the
 * bundled rules/), and how a failed load is reported: every diagnostic as
 * `file:line:col: message`, anything else as `vigil <command>: message`, and
 * the command exits 1.
 */
import { bundledRulesDir } from '../config/paths.js';
import { formatDiagnostic, RulesetLoadError } from '../engine/rules/diagnostics.js';

export interface LineOutputs {
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** stdout and stderr, one line per call, unless the caller (a test) passes its own. */
export function lineOutputs(opts: LineOutputs): Required<LineOutputs> {
  return {
    out: opts.out ?? ((l: string) => process.stdout.write(l + '\n')),
    err: opts.err ?? ((l: string) => process.stderr.write(l + '\n')),
  };
}

/** The rule paths given on the command line, else the bundled rules. */
export function rulePathsOrBundled(paths: readonly string[] | undefined): string[] {
  return paths && paths.length > 0 ? [...paths] : [bundledRulesDir()];
}

/**
 * Runs `load` (the rules, and whatever else the command reads with them); on failure reports it
 * to `err` and returns null. `tally` adds the count line `N errors: nothing loaded`.
 */
export function loadOrReport<T>(
  command: string,
  err: (line: string) => void,
  load: () => T,
  tally = false,
): T | null {
  try {
    return load();
  } catch (e) {
    if (e instanceof RulesetLoadError) {
      for (const d of e.diagnostics) err(formatDiagnostic(d));
      const n = e.diagnostics.length;
      if (tally) err(`${n} error${n === 1 ? '' : 's'}: nothing loaded`);
      return null;
    }
    err(`vigil ${command}: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}
