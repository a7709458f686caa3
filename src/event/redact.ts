/**
 * Alerts leave the host (Slack, email, the SIEM); the environment a process was started with
 * often holds credentials (AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, DB passwords). The alert's copy of
 * the event keeps every variable's name, and its value unless the name says it is a secret.
 * Events themselves (`vigil events`, `vigil record`, the rules) keep the full environment.
 */
import type { VigilEvent } from './types.js';

const SECRET_NAME =
  /(SECRET|TOKEN|PASSW|PASSWD|PWD_|_PWD|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|AUTH|SESSION|COOKIE)/i;

export const REDACTED = '<redacted>';

/** `NAME=value` with the value replaced when NAME looks like a secret's. */
export function redactEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  if (eq <= 0) return entry;
  return SECRET_NAME.test(entry.slice(0, eq)) ? `${entry.slice(0, eq + 1)}${REDACTED}` : entry;
}

/** The event as an alert carries it: the process environment with secret values redacted. */
export function eventForAlert(ev: VigilEvent): VigilEvent {
  const env = ev.proc.env;
  if (!env.some((e) => redactEnvEntry(e) !== e)) return ev;
  return { ...ev, proc: { ...ev.proc, env: env.map(redactEnvEntry) } };
}
