/**
 * What reaches a log line, an error message or /status. Secrets come from the config, usually
 * through `${ENV:NAME}` (expanded by the config loader): every sink registers its own with a
 * Redactor. Beyond those, every log line goes through redactLogText: the URLs in it keep only their
 * scheme and host (a webhook's path or query is often its credential), and secrets recognised by
 * name or shape are replaced by the value redactor alerts use (src/event/redact.ts).
 */
import { redactSecrets } from '../event/redact.js';

/** A URL safe to print: scheme and host only; a path or query becomes `/***`. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '<invalid url>';
  }
  const hidden = (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '';
  return `${u.protocol}//${u.host}${hidden ? '/***' : ''}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Free text as a log line may show it: URLs reduced to scheme and host, secrets replaced. */
export function redactLogText(text: string): string {
  return redactSecrets(
    text.replace(URL_IN_TEXT, (u) => {
      // Punctuation that ends a sentence or a parenthesis is the text's, not the URL's.
      const tail = /[.,;:)\]]*$/.exec(u)![0];
      return redactUrl(u.slice(0, u.length - tail.length)) + tail;
    }),
  );
}

/** A log call's arguments with every string in them (nested too) through redactLogText. */
export function redactLogValue(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactLogText(v);
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error) return redactLogText(v.message);
  if (Array.isArray(v)) return v.map((x) => redactLogValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = redactLogValue(x, depth + 1);
  return out;
}

/**
 * pino's `hooks.logMethod`: every log line of the agent passes through the redactor before it is
 * written (`pino({ hooks: { logMethod: redactingLogMethod } })`).
 */
export function redactingLogMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void): void {
  method.apply(
    this,
    args.map((a) => redactLogValue(a)),
  );
}

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; they are not plausible secrets anyway.
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  /** Registers a URL: the whole of it, its password and its query values (paths: redactLogText). */
  addUrl(url: string): void {
    this.add(url);
    try {
      const u = new URL(url);
      this.add(decodeURIComponent(u.password));
      for (const v of u.searchParams.values()) this.add(v);
    } catch {
      // not a URL: the whole string is already registered
    }
  }

  /** The text as every log line is (redactLogText), then any registered secret left replaced. */
  redact(text: string): string {
    let out = redactLogText(text);
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }
}
