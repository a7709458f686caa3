/**
 * Secrets (webhook URLs, tokens, SMTP passwords) come from the config, usually through `${ENV:NAME}`
 * (expanded by the config loader), and must never reach a log line, an error message or health().
 * Every sink registers its secrets with a Redactor and every message leaving the delivery path
 * goes through it.
 */
/** A URL safe to print: no user info, no query, and path segments that look like tokens masked. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '<invalid url>';
  }
  const path = u.pathname
    .split('/')
    .map((seg) => (seg.length >= 8 && /\d/.test(seg) && /[A-Za-z]/.test(seg) ? '***' : seg))
    .join('/');
  return `${u.protocol}//${u.host}${path}${u.search ? '?***' : ''}`;
}

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; they are not plausible secrets anyway.
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  /** Registers a URL: the whole of it, its password, and its query values. */
  addUrl(url: string): void {
    this.add(url);
    try {
      const u = new URL(url);
      this.add(decodeURIComponent(u.password));
      for (const v of u.searchParams.values()) this.add(v);
      for (const seg of u.pathname.split('/'))
        if (redactUrl(`http://h/${seg}`) === 'http://h/***') this.add(seg);
    } catch {
      // not a URL: the whole string is already registered
    }
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }
}
