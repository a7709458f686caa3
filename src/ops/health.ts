/**
 * Health in Kubernetes' terms. Liveness (/livez, /healthz) says the agent is alive and detecting:
 * it fails only for what a restart can cure (probes gone, ring reader stopped or stalled), never
 * because a sink or the store is in trouble, so an outage elsewhere does not restart every agent.
 * Readiness (/readyz) adds whether alerts reach where they should (the store, each sink). Checks are
 * named as in the Kubernetes API server: `?verbose` lists them, `?exclude=<name>` leaves one out.
 */

/** One named check: `probes`, `ring`, `store`, `sink:<name>`. */
export interface HealthCheck {
  name: string;
  ok: boolean;
  /** Why it failed (shown by /status, which requires the token; never by the open probes). */
  reason?: string;
}

/** What the agent tells the ops endpoint. */
export interface HealthSource {
  /** Checks a restart could cure: failing any of them fails liveness. */
  liveness(): HealthCheck[];
  /** Checks of the alert path: failing any (or a liveness check) fails readiness. */
  readiness(): HealthCheck[];
  /** Per-sink, per-store and sensor detail for /status (JSON). */
  status(): Record<string, unknown>;
}

export interface CheckResult {
  ok: boolean;
  /** The probe's body: `ok`, or with ?verbose one `[+]name ok` / `[-]name failed` line each. */
  body: string;
}

/** Applies `?exclude=` and renders the body as the Kubernetes API server does. */
export function runChecks(what: string, checks: HealthCheck[], query: URLSearchParams): CheckResult {
  const excluded = new Set(query.getAll('exclude'));
  const kept = checks.filter((c) => !excluded.has(c.name));
  const ok = kept.every((c) => c.ok);
  if (!query.has('verbose') && ok) return { ok, body: 'ok\n' };
  const lines = kept.map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed`));
  for (const name of excluded) lines.push(`[+]${name} excluded: ok`);
  lines.push(ok ? `${what} check passed` : `${what} check failed`);
  return { ok, body: lines.join('\n') + '\n' };
}
