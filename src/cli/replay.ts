/**
 * `vigil replay FILE [--rules P]...`: evaluates recorded events (the JSON
 * lines of `vigil record` / `vigil events --json`; `-` reads stdin) against
 * rules, offline and without root; prints each alert as one JSON line.
 */
import { buildAlert } from '../engine/alert.js';
import { loadRuleset } from '../engine/load.js';
import { EventParseError, readEvents } from '../event/json.js';
import { lineOutputs, loadOrReport, rulePathsOrBundled, type LineOutputs } from './rules-cli.js';

export interface ReplayOptions extends LineOutputs {
  file: string;
  rules?: string[];
}

export async function run(opts: ReplayOptions): Promise<number> {
  const { out, err } = lineOutputs(opts);
  const ruleset = loadOrReport('replay', err, () => loadRuleset(rulePathsOrBundled(opts.rules)));
  if (ruleset === null) return 1;
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
