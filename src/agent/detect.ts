/**
 * detect: one event in, its alerts out, each with the enforcement verdict. The one place where an
 * alert is decided: `vigil run`, `vigil replay`, `vigil rules test` and the benches all call it,
 * so they agree on the same event (replay and rule tests run with enforcement off: `would-*`).
 */
import { resolveHostname, type VigilConfig } from '../config/index.js';
import type { Alert } from '../event/alert.js';
import type { EnvSelection } from '../event/redact.js';
import type { VigilEvent } from '../event/types.js';
import type { CompiledRule } from '../engine/rules/compile-rules.js';
import type { Ruleset } from '../engine/ruleset.js';
import { Enforcer } from '../enforce/enforcer.js';
import { agentProtectedRule } from '../enforce/self-protection.js';
import { denialOf } from '../sensor/decode/decoder.js';
import { buildAlert } from './build-alert.js';

export interface Detector {
  /** The rules in force (an Engine, or a Ruleset for offline use). */
  readonly rules: { evaluate(ev: VigilEvent): readonly CompiledRule[] };
  /** Verdicts of rules with an action; an Enforcer opened with `enabled: false` gives `would-*`. */
  readonly enforcer: Enforcer;
  /** The host name alerts carry. */
  readonly hostname: string;
  /** The environment alerts carry besides what a rule's output asks (`outputs.alert_fields.env`). */
  readonly alertEnv?: EnvSelection;
  /** Events of these executables and comms are not evaluated (`sensors.ignore`). */
  readonly ignore?: { readonly exe: ReadonlySet<string>; readonly comm: ReadonlySet<string> };
}

/** What became of an event: a kernel denial, skipped by `sensors.ignore`, or evaluated. */
export type Detection = 'denial' | 'ignored' | 'evaluated';

const PROTECTED = agentProtectedRule();
const NO_ALLOW = { exe: [], uid: [], container: [] };

/**
 * The detector a configuration gives (host name, ignore lists, the environment alerts carry): the
 * same for `vigil run` and `vigil replay --config`, so that both decide alike.
 */
export function configuredDetector(
  config: VigilConfig,
  rules: Detector['rules'],
  enforcer: Enforcer,
): Detector {
  const ignore = config.sensors.ignore;
  const env = config.outputs.alert_fields?.env;
  return {
    rules,
    enforcer,
    hostname: resolveHostname(config),
    alertEnv: Array.isArray(env) ? new Set(env) : env === true,
    ignore: { exe: new Set(ignore.exe), comm: new Set(ignore.comm) },
  };
}

/** Enforcement off: rules with an action alert as would-kill / would-deny (no kernel object). */
export function monitorEnforcer(ruleset: Ruleset): Enforcer {
  return Enforcer.open(ruleset.enabledRules, { enabled: false, allow: NO_ALLOW });
}

/**
 * A detector with enforcement off, as the agent in monitor mode: for rule tests and benches.
 */
export function monitorDetector(ruleset: Ruleset, hostname: string): Detector {
  return { rules: ruleset, enforcer: monitorEnforcer(ruleset), hostname };
}

/** Appends the event's alerts to `out` and says what became of the event. */
export function detect(ev: VigilEvent, d: Detector, out: Alert[]): Detection {
  const denied = denialOf(ev);
  if (denied !== undefined) {
    const alert = denialAlert(denied, ev, d);
    if (alert !== undefined) out.push(alert);
    return 'denial';
  }
  if (d.ignore !== undefined && (d.ignore.exe.has(ev.proc.exe) || d.ignore.comm.has(ev.proc.comm)))
    return 'ignored';
  const matches = d.rules.evaluate(ev);
  for (let i = 0; i < matches.length; i++) {
    const rule = matches[i];
    const verdict = d.enforcer.onMatch(rule, ev);
    // The LSM's own record of this denial raised the alert already.
    if (verdict.reported) continue;
    const alert = buildAlert(rule, ev, d.hostname, d.alertEnv);
    alert.action = verdict.action;
    if (rule.action !== undefined) alert.enforcement = verdict.enforcement;
    out.push(alert);
  }
  const killed = d.enforcer.unmatchedKill(ev, matches);
  if (killed !== undefined) out.push(kernelKillAlert(killed, ev, d));
  return 'evaluated';
}

/** The alert of a rule a probe killed for while user space's evaluation of it disagreed. */
function kernelKillAlert(rule: CompiledRule, ev: VigilEvent, d: Detector): Alert {
  const alert = buildAlert(rule, ev, d.hostname, d.alertEnv);
  alert.action = 'killed';
  alert.enforcement = {
    mode: 'kernel',
    class: ev.type === 'execve' ? 'kernel-exec-kill' : 'kernel-kill-after',
    reason: "the kernel matched this rule; user space's process table differs",
  };
  return alert;
}

/**
 * A BPF LSM program refused the operation: the rule whose policy entry denied raises its alert as
 * it is, without its condition being evaluated again, and no other rule sees the event (the
 * operation never happened). Rule id 0 is self-protection; an id no current policy has, nothing.
 */
function denialAlert(ruleId: number, ev: VigilEvent, d: Detector): Alert | undefined {
  const rule = ruleId === 0 ? PROTECTED : d.enforcer.ruleOfDenial(ruleId);
  if (rule === undefined) return undefined;
  const alert = buildAlert(rule, ev, d.hostname, d.alertEnv);
  alert.action = 'denied';
  alert.enforcement = { mode: 'kernel', class: 'kernel-deny' };
  return alert;
}
