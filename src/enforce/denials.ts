/**
 * Alerts for operations a BPF LSM program refused (records with VG_HDR_F_DENIED, decoded by
 * src/sensor/decode.ts). The kernel has decided: the rule whose policy entry denied raises its
 * alert as it is (action `denied`, enforcement `kernel`) without its condition being evaluated
 * again, and no other rule sees the event (the operation never happened). Id 0 is
 * self-protection.
 */
import { buildAlert } from '../engine/alert.js';
import type { Alert } from '../event/alert.js';
import type { VigilEvent } from '../event/types.js';
import type { Enforcer } from './enforcer.js';
import { agentProtectedRule } from './self-protection.js';

const PROTECTED = agentProtectedRule();

/** The alert of the rule that denied; undefined for a rule id no current policy has. */
export function denialAlert(
  enforcer: Enforcer,
  ruleId: number,
  ev: VigilEvent,
  hostname: string,
): Alert | undefined {
  const rule = ruleId === 0 ? PROTECTED : enforcer.ruleOfDenial(ruleId);
  if (rule === undefined) return undefined;
  const alert = buildAlert(rule, ev, hostname);
  alert.action = 'denied';
  alert.enforcement = { mode: 'kernel' };
  return alert;
}
