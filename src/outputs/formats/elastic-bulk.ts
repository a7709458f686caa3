/** Elasticsearch `_bulk` request bodies (NDJSON), and what its response says was refused. */

/**
 * Two NDJSON lines of an Elasticsearch bulk request. `create` with the alert uuid as _id makes a
 * resend idempotent: an alert already indexed answers 409, which counts as delivered.
 */
export function bulkLines(index: string, id: string, doc: unknown): string {
  return `${JSON.stringify({ create: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`;
}

export interface BulkOutcome {
  /** Items Elasticsearch may accept later (429, 5xx). */
  retryable: number;
  /** Items it refused for good (mapping errors...), with the first reason. */
  refused: number;
  firstReason?: string;
}

/** Reads a _bulk response; 409 (already exists) counts as success. */
export function bulkOutcome(body: string): BulkOutcome {
  const out: BulkOutcome = { retryable: 0, refused: 0 };
  let res: {
    errors?: boolean;
    items?: Record<string, { status?: number; error?: { type?: string; reason?: string } }>[];
  };
  try {
    res = JSON.parse(body);
  } catch {
    return out;
  }
  if (!res.errors) return out;
  for (const item of res.items ?? []) {
    const r = Object.values(item)[0];
    const status = r?.status ?? 0;
    if (status < 300 || status === 409) continue;
    if (status === 429 || status >= 500) out.retryable++;
    else {
      out.refused++;
      out.firstReason ??= `${status} ${r?.error?.type ?? ''} ${r?.error?.reason ?? ''}`.trim();
    }
  }
  return out;
}
