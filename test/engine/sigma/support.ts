/** Sigma rules written in a test, loaded as the agent loads rule files, and evaluated on events. */
import { loadRulesetFromSources } from '../../../src/engine/load-ruleset.js';
import type { Ruleset } from '../../../src/engine/ruleset.js';
import { sampleEvent, type DeepPartial } from '../../../src/engine/rule-tests/sample-event.js';
import type { VigilEvent } from '../../../src/event/types.js';

/** A Sigma rule document around a detection (YAML text, indented by 4). */
export function sigmaDoc(
  detection: string,
  logsource = 'category: process_creation\n    product: linux',
  extra = '',
): string {
  return `title: Test rule\nid: 0e1f0000-0000-4000-8000-000000000001\nstatus: test\n${extra}logsource:\n    ${logsource}\ndetection:\n${detection}\nlevel: high\n`;
}

export function load(text: string, path = 'rule.yml'): Ruleset {
  return loadRulesetFromSources([{ path, text }], 'all');
}

/** An exec event by `exe` with argv `args`. */
export function exec(exe: string, args: string[], more: DeepPartial<VigilEvent> = {}): VigilEvent {
  return sampleEvent({ type: 'execve', ...more, proc: { exe, args, cmdline: args.join(' '), ...more.proc } });
}

export const fires = (rs: Ruleset, ev: VigilEvent): boolean => rs.evaluate(ev).length > 0;
