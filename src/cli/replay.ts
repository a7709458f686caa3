/**
 * `vigil replay FILE [--rules P]...`: evaluates recorded events (the JSON
 * lines of `vigil record` / `vigil events --json`; `-` reads stdin) against
 * rules, offline and without root; prints each alert as one JSON line.
 */
import { bundledRulesDir } from '../config/paths.js';
import { buildAlert } from '../engine/alert.js';
import { loadRuleset } from '../engine/load.js';
import { formatDiagnostic, RulesetLoadError } from '../engine/rules/errors.js';
import { EventParseError, readEvents } from '../event/json.js';

export interface ReplayOptions {
  file: string;
  rules?: string[];
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export async function run(opts: ReplayOptions): Promise<number> {
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = opts.err ?? ((l: string) => process.stderr.write(l + '\n'));
  const paths = opts.rules && opts.rules.length > 0 ? opts.rules : [bundledRulesDir()];
  let ruleset;
  try {
    ruleset = loadRuleset(paths);
  } catch (e) {
    if (e instanceof RulesetLoadError) {
      for (const d of e.diagnostics) err(formatDiagnostic(d));
      return 1;
    }
    err(`vigil replay: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  let events = 0;
  let alerts = 0;
  try {
    for await (const ev of readEvents(opts.file)) {
      events++;
      for (const rule of ruleset.evaluate(ev)) {
        out(JSON.stringify(buildAlert(rule, ev)));
        alerts++;
      }
    }
  } catch (e) {
    if (e instanceof EventParseError) {
      err(`${opts.file}: ${e.message}`);
      return 1;
    }
    err(`vigil replay: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  err(`vigil replay: ${events} events, ${alerts} alerts`);
  return 0;
}
