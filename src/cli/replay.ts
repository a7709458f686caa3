/**
 * `vigil replay FILE [--rules P]... [--config F]`: evaluates recorded events (the JSON lines of
 * `vigil record` / `vigil events --json`; `-` reads stdin) offline and without root, through the
 * agent's own detect() with enforcement off: each alert, with its would-kill / would-deny
 * verdict, as `vigil run` would raise it, printed as one JSON line.
 */
import { defaultConfig, loadConfig, type VigilConfig } from '../config/index.js';
import type { Alert } from '../event/alert.js';
import { EventParseError, readEvents } from '../event/json.js';
import { loadRuleset } from '../engine/load-ruleset.js';
import { configuredDetector, detect, monitorEnforcer, type Detector } from '../agent/detect.js';
import { agentLoadOptions, agentRulePaths, withMinStatus } from '../agent/rule-paths.js';
import { lineOutputs, loadOrReport, type LineOutputs } from './rules-cli.js';

export interface ReplayOptions extends LineOutputs {
  file: string;
  rules?: string[];
  /** The agent's configuration: its rules, engine and ignore settings and host name apply
   * (default: none, not /etc/vigil/vigil.yaml: replay runs offline, often on another host). */
  config?: string;
  /** Overrides the configuration's engine.min_status. */
  minStatus?: string;
}

/** The detector `vigil run` would have with this configuration, enforcement off. */
function replayDetector(opts: ReplayOptions, err: (line: string) => void): Detector | null {
  return loadOrReport('replay', err, () => {
    const config: VigilConfig = withMinStatus(
      opts.config ? loadConfig(opts.config).config : defaultConfig(),
      opts.minStatus,
    );
    const rules = loadRuleset(agentRulePaths(opts.rules, config), 'first', agentLoadOptions(config, false));
    return configuredDetector(config, rules, monitorEnforcer(rules));
  });
}

export async function run(opts: ReplayOptions): Promise<number> {
  const { out, err } = lineOutputs(opts);
  const detector = replayDetector(opts, err);
  if (detector === null) return 1;
  let events = 0;
  let alerts = 0;
  const found: Alert[] = [];
  try {
    for await (const ev of readEvents(opts.file)) {
      events++;
      detect(ev, detector, found);
      for (const a of found) out(JSON.stringify(a));
      alerts += found.length;
      found.length = 0;
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
