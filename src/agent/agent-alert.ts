/**
 * Alerts the agent raises about itself, not from a rule: kernel drops (drop-watch.ts) and the
 * alert store tampered with. Their event is the agent's own process, with evt.type `bpf` (the
 * event model has no type for agent-internal events); rules never see it.
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '../event/alert.js';
import { formatEventTime } from '../event/time.js';
import type { ProcessInfo, VigilEvent } from '../event/types.js';
import type { StoreTamper } from '../outputs/index.js';

/** The synthetic rule name of the store alert (stable: SIEM searches use it). */
export const STORE_TAMPER_RULE = 'Alert store tampered';

export interface AgentAlertSpec {
  rule: string;
  tags: string[];
  output: string;
  /** The event's args and rawargs (numbers), and the alert's output_fields as `vigil.<name>`. */
  values: Record<string, number>;
  /** More output_fields, as they are. */
  fields?: Record<string, string | number | boolean | null>;
}

/** A Critical alert of the agent about itself; `proc` is the agent's process. */
export function agentAlert(
  spec: AgentAlertSpec,
  proc: ProcessInfo,
  names: { user: string; group: string },
  hostname: string,
): Alert {
  const ts = Date.now() * 1e6;
  const event: VigilEvent = {
    type: 'bpf',
    ts,
    ret: 0,
    proc,
    user: { uid: proc.uid, name: names.user, loginuid: proc.loginuid, loginname: '', homedir: '', shell: '' },
    group: { gid: proc.gid, name: names.group },
    args: { ...spec.values },
    rawargs: { ...spec.values },
  };
  const fields: Alert['output_fields'] = {};
  for (const [k, v] of Object.entries(spec.values)) fields[`vigil.${k}`] = v;
  return {
    uuid: randomUUID(),
    time: formatEventTime(ts),
    hostname,
    rule: spec.rule,
    priority: 'Critical',
    source: 'syscall',
    tags: spec.tags,
    output: spec.output,
    output_fields: { ...fields, ...spec.fields },
    action: 'alert',
    event,
  };
}

/** The alert store was deleted, replaced or moved under the running agent. */
export function storeTamperSpec(t: StoreTamper): AgentAlertSpec {
  const lost = Object.entries(t.undeliveredLost);
  const lostText =
    lost.length === 0
      ? ''
      : `; stored alerts not yet delivered, now lost: ${lost.map(([s, n]) => `${s} ${n}`).join(', ')}`;
  return {
    rule: STORE_TAMPER_RULE,
    tags: ['vigil', 'self_protection', 'mitre_defense_evasion', 'T1070'],
    output:
      `Alert store tampered: ${t.path} was ${t.what}${t.movedTo ? ` (now ${t.movedTo})` : ''} under the ` +
      `running agent; the alerts it held (up to id ${t.lastId}) are no longer in the store, and a fresh ` +
      `store was opened at the path${t.setAside ? ` (the file found there was set aside as ${t.setAside})` : ''}` +
      lostText,
    values: { store_last_id: t.lastId },
    fields: {
      'vigil.store_path': t.path,
      'vigil.store_change': t.what,
      'vigil.store_moved_to': t.movedTo ?? null,
      'vigil.store_set_aside': t.setAside ?? null,
    },
  };
}
