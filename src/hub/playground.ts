/**
 * The rule playground (POST /api/playground): a rule text in Falco's format, run through the
 * agent's own loader and detect() (enforcement off) against events: those the agents published on
 * `vigil.events.<hostname>` over a recent window, or an uploaded `vigil record` file (JSON lines).
 * The answer is the alerts it raises, or every load error with its line and column. Work is
 * bounded: the rule text, the events read, the alerts returned and the time spent.
 */
import { readFileSync } from 'node:fs';
import { detect, monitorDetector, type Detector } from '../agent/detect.js';
import { bundledRulesDir } from '../config/paths.js';
import type { Alert } from '../event/alert.js';
import { EventParseError, parseEventLine } from '../event/json.js';
import type { VigilEvent } from '../event/types.js';
import { loadRulesetFromSources, ruleFiles, type RuleSource } from '../engine/load-ruleset.js';
import { RulesetLoadError, type Diagnostic } from '../engine/rules/diagnostics.js';
import type { Ruleset } from '../engine/ruleset.js';
import type { HostEvent } from './stream-events.js';

export const PLAYGROUND_FILE = 'playground.yaml';
export const MAX_RULE_BYTES = 64 * 1024;
export const MAX_EVENTS = 50_000;
const MAX_ALERTS = 200;
const MAX_MS = 5000;

export interface PlaygroundRequest {
  rule: string;
  /** Events uploaded with the request (JSON lines); absent: those published on the stream. */
  events?: string;
  /** With the stream: how far back, ms (default an hour). */
  windowMs?: number;
  /** Load the bundled rules first, so that the rule can use their macros and lists (default true). */
  bundled?: boolean;
}

export interface PlaygroundResult {
  ok: boolean;
  /** Load errors (file is `playground.yaml` for the pasted text). */
  errors: Diagnostic[];
  events: number;
  /** How many alerts the rule raised; `alerts` holds the first of them. */
  matched: number;
  alerts: Alert[];
  /** True when the event or time bound stopped the run early. */
  truncated: boolean;
}

let bundledSources: RuleSource[] | undefined;
function bundled(): RuleSource[] {
  bundledSources ??= ruleFiles([bundledRulesDir()]).map((path) => ({
    path,
    text: readFileSync(path, 'utf8'),
  }));
  return bundledSources;
}

/** The ruleset of the pasted text (with the bundled rules before it), or its diagnostics. */
export function compilePlayground(rule: string, withBundled = true): Ruleset | Diagnostic[] {
  const sources = [...(withBundled ? bundled() : []), { path: PLAYGROUND_FILE, text: rule }];
  try {
    return loadRulesetFromSources(sources, 'all');
  } catch (err) {
    if (err instanceof RulesetLoadError) return err.diagnostics;
    throw err;
  }
}

/** The events of an uploaded JSON lines text; a bad line is a diagnostic naming it. */
export function uploadedEvents(
  text: string,
): { ok: true; events: VigilEvent[] } | { ok: false; errors: Diagnostic[] } {
  const events: VigilEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && events.length < MAX_EVENTS; i++) {
    try {
      const ev = parseEventLine(lines[i], i + 1);
      if (ev !== null) events.push(ev);
    } catch (err) {
      if (!(err instanceof EventParseError)) throw err;
      return {
        ok: false,
        errors: [{ file: 'events', line: i + 1, col: 1, item: null, message: err.message }],
      };
    }
  }
  return { ok: true, events };
}

/** Runs the compiled rules over the events, keeping alerts of the pasted rules only. */
export function runPlayground(rules: Ruleset, events: HostEvent[]): PlaygroundResult {
  const detectors = new Map<string, Detector>();
  const found: Alert[] = [];
  const alerts: Alert[] = [];
  const pasted = new Set(rules.enabledRules.filter((r) => r.file === PLAYGROUND_FILE).map((r) => r.name));
  const start = Date.now();
  let matched = 0;
  let n = 0;
  for (; n < events.length; n++) {
    if (n % 1000 === 0 && Date.now() - start > MAX_MS) break;
    const { host, event } = events[n];
    let d = detectors.get(host);
    if (d === undefined) detectors.set(host, (d = monitorDetector(rules, host)));
    detect(event, d, found);
    for (const a of found) {
      if (!pasted.has(a.rule)) continue;
      matched++;
      if (alerts.length < MAX_ALERTS) alerts.push(a);
    }
    found.length = 0;
  }
  return { ok: true, errors: [], events: n, matched, alerts, truncated: n < events.length };
}
