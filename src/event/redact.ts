/**
 * The one value redactor: alerts leave the host (Slack, email, the SIEM) and logs are collected,
 * and both can carry credentials. It recognises secrets by name (AWS_SECRET_ACCESS_KEY,
 * GITHUB_TOKEN, DB_PASSWORD) and by value: passwords in URLs, bearer and basic credentials, keys of
 * known shapes (AWS, GitHub, GitLab, Slack, Google, Stripe, npm, JWTs, PEM private keys), and
 * high-entropy values after `=`. The alert's event carries no environment unless asked for
 * (alertEnv); what it carries is redacted here, and every log line goes through it too
 * (src/outputs/redactor.ts). Events themselves (`vigil events`, `vigil record`, the rules) keep
 * the full environment.
 */
import type { VigilEvent } from './types.js';

const SECRET_NAME =
  /(SECRET|TOKEN|PASSW|PASSWD|PWD_|_PWD|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|AUTH|SESSION|COOKIE|SIGNATURE|(^|[_-])SIG($|[_-])|(^|[_-])KEY$)/i;

export const REDACTED = '<redacted>';

/** Secrets recognisable by shape wherever they appear. */
const KEY_SHAPES: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API keys
  /\b[sr]k_(live|test)_[0-9A-Za-z]{16,}\b/g, // Stripe
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWTs
];

/** `scheme://user:password@host`: the password. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;
/** `Bearer x`, `Basic x`, `Token x` (Authorization headers, curl -H). */
const AUTH_SCHEME = /\b(Bearer|Basic|Token|Digest)(\s+)([A-Za-z0-9._~+/=-]{8,})/gi;
/** `name=value` (query strings, --flag=value, KEY=value in a command line). */
const ASSIGNMENT = /([A-Za-z_][\w.-]*)=([^\s&;"',]+)/g;

/** Shannon entropy of the characters of s, in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/**
 * A value that looks generated rather than written: at least 20 characters of a token alphabet,
 * letters and digits mixed, and close to random. Paths, words, hostnames, version strings and
 * plain hex (commit ids, container ids) are not.
 */
export function looksRandom(v: string): boolean {
  if (v.length < 20 || !/^[A-Za-z0-9+/_.~=-]+$/.test(v)) return false;
  if (!/\d/.test(v) || !/[A-Za-z]/.test(v) || /^[0-9a-fA-F-]+$/.test(v)) return false;
  if (/^\/|\/\//.test(v) || (v.match(/[./-]/g)?.length ?? 0) > v.length / 6) return false;
  const mixed = /[a-z]/.test(v) && /[A-Z]/.test(v);
  return entropy(v) >= (mixed ? 3.5 : 4.0);
}

/** After Bearer/Basic/Token: a credential, not a word ("token generated"). */
const looksLikeCredential = (v: string): boolean =>
  /\d|[+/=_-]/.test(v) || (/[a-z]/.test(v) && /[A-Z]/.test(v));

/** Free text with every secret recognised by name or by value replaced. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const re of KEY_SHAPES) out = out.replace(re, REDACTED);
  out = out.replace(URL_PASSWORD, `$1${REDACTED}$3`);
  out = out.replace(AUTH_SCHEME, (all, scheme: string, sp: string, cred: string) =>
    looksLikeCredential(cred) ? `${scheme}${sp}${REDACTED}` : all,
  );
  return out.replace(ASSIGNMENT, (all, name: string, value: string) =>
    value !== REDACTED && (SECRET_NAME.test(name) || looksRandom(value)) ? `${name}=${REDACTED}` : all,
  );
}

/** `NAME=value`: the whole value when NAME names a secret, else the secrets within it. */
export function redactEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  if (eq <= 0) return entry;
  const name = entry.slice(0, eq);
  const value = entry.slice(eq + 1);
  if (SECRET_NAME.test(name) || looksRandom(value)) return `${name}=${REDACTED}`;
  const clean = redactSecrets(value);
  return clean === value ? entry : `${name}=${clean}`;
}

/** Which variables an alert carries: none, all, or those named (proc.env[NAME], a config list). */
export type EnvSelection = false | true | ReadonlySet<string>;

/** The alert's copy of the environment: only what was asked for, redacted. */
export function alertEnv(env: readonly string[], wanted: EnvSelection): string[] {
  if (wanted === false) return [];
  const kept =
    wanted === true ? env : env.filter((e) => e.indexOf('=') > 0 && wanted.has(e.slice(0, e.indexOf('='))));
  return kept.map(redactEnvEntry);
}

/** The event as an alert carries it: the environment reduced to what was asked for, redacted. */
export function eventForAlert(ev: VigilEvent, wanted: EnvSelection = false): VigilEvent {
  return { ...ev, proc: { ...ev.proc, env: alertEnv(ev.proc.env, wanted) } };
}
