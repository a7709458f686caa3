/**
 * The alert of a matched rule and its event (docs/architecture.md, "Alerts"). Called per alert,
 * never per event: rendering allocates.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Alert } from '../event/alert.js';
import { eventForAlert, redactEnvEntry, type EnvSelection } from '../event/redact.js';
import { formatEventTime } from '../event/time.js';
import type { VigilEvent } from '../event/types.js';
import { renderOutput, type OutputFieldValue } from '../engine/output-template.js';
import type { CompiledRule } from '../engine/rules/compile-rules.js';

const HOST = osHostname();

/** The environment a rule's output asks for: `proc.env` all of it, `proc.env[NAME]` one variable. */
const byRule = new WeakMap<CompiledRule, EnvSelection>();
function ruleEnv(rule: CompiledRule): EnvSelection {
  let sel = byRule.get(rule);
  if (sel === undefined) {
    const keys = rule.output.fields.filter((f) => f === 'proc.env' || f.startsWith('proc.env['));
    sel = keys.includes('proc.env')
      ? true
      : keys.length > 0
        ? new Set(keys.map((k) => k.slice(9, -1)))
        : false;
    byRule.set(rule, sel);
  }
  return sel;
}

/** Union of what the rule and the configuration (`outputs.alert_fields.env`) ask for. */
function envWanted(rule: CompiledRule, configured: EnvSelection): EnvSelection {
  const r = ruleEnv(rule);
  if (r === true || configured === true) return true;
  if (r === false) return configured;
  if (configured === false) return r;
  return new Set([...r, ...configured]);
}

/** The rendered output with the proc.env values it shows redacted as the event's are. */
function redactRendered(output: string, fields: Record<string, OutputFieldValue>): string {
  let text = output;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || !(key === 'proc.env' || key.startsWith('proc.env['))) continue;
    const clean =
      key === 'proc.env'
        ? value.split(' ').map(redactEnvEntry).join(' ')
        : redactEnvEntry(`${key.slice(9, -1)}=${value}`).slice(key.length - 9);
    if (clean === value) continue;
    fields[key] = clean;
    if (value.length > 0) text = text.split(value).join(clean);
  }
  return text;
}

export function buildAlert(
  rule: CompiledRule,
  ev: VigilEvent,
  hostname: string = HOST,
  env: EnvSelection = false,
): Alert {
  const { output, fields } = renderOutput(rule.output, ev);
  return {
    uuid: randomUUID(),
    time: formatEventTime(ev.ts),
    hostname,
    rule: rule.name,
    priority: rule.priority,
    source: 'syscall',
    tags: [...rule.tags],
    output: redactRendered(output, fields),
    output_fields: fields,
    action: 'alert',
    event: eventForAlert(ev, envWanted(rule, env)),
  };
}
