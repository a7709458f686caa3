/**
 * The WHERE clause of a HubFilter for either store, every value a bound parameter: SQLite takes
 * `?`, PostgreSQL `$n`. What differs between them is named here once: tags (a `,a,b,` string in
 * SQLite, a text[] with a GIN index in PostgreSQL) and free text (substring LIKE per word in
 * SQLite, the `search` tsvector in PostgreSQL).
 */
import { containsPattern, words, type Cursor, type HubFilter } from './store.js';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlWhere {
  /** `WHERE ...`, or '' when nothing is filtered. */
  sql: string;
  params: unknown[];
}

class Builder {
  readonly terms: string[] = [];
  readonly params: unknown[] = [];
  constructor(private readonly dialect: Dialect) {}

  /** A placeholder bound to `v`. */
  p(v: unknown): string {
    this.params.push(v);
    return this.dialect === 'sqlite' ? '?' : `$${this.params.length}`;
  }

  add(term: string): void {
    this.terms.push(term);
  }
}

function addText(b: Builder, f: HubFilter, dialect: Dialect): void {
  if (f.q === undefined) return;
  const ws = words(f.q);
  if (ws.length === 0) return;
  if (dialect === 'postgres') {
    b.add(`search @@ plainto_tsquery('simple', ${b.p(ws.join(' '))})`);
    return;
  }
  for (const w of ws) b.add(`lower(rule || ' ' || output) LIKE ${b.p(containsPattern(w))} ESCAPE '\\'`);
}

function addPod(b: Builder, pod: string): void {
  if (pod.includes('/')) b.add(`pod = ${b.p(pod)}`);
  else b.add(`pod LIKE ${b.p(containsPattern('/' + pod).slice(0, -1))} ESCAPE '\\'`);
}

/** The WHERE clause of `f`, and of the keyset `after` when given. */
export function whereOf(f: HubFilter, dialect: Dialect, after?: Cursor): SqlWhere {
  const b = new Builder(dialect);
  if (f.rule !== undefined) b.add(`rule = ${b.p(f.rule)}`);
  if (f.host !== undefined) b.add(`hostname = ${b.p(f.host)}`);
  if (f.maxPriority !== undefined) b.add(`priority <= ${b.p(f.maxPriority)}`);
  if (f.sinceMs !== undefined) b.add(`time_ms >= ${b.p(f.sinceMs)}`);
  if (f.untilMs !== undefined) b.add(`time_ms <= ${b.p(f.untilMs)}`);
  if (f.container !== undefined) b.add(`container_id = ${b.p(f.container)}`);
  if (f.pod !== undefined) addPod(b, f.pod);
  if (f.tag !== undefined) {
    if (dialect === 'postgres') b.add(`tags @> ARRAY[${b.p(f.tag)}]::text[]`);
    else b.add(`tags LIKE ${b.p(containsPattern(`,${f.tag},`))} ESCAPE '\\'`);
  }
  addText(b, f, dialect);
  if (after !== undefined) {
    // Placeholders are taken in the order they appear: SQLite's `?` are positional.
    const time = b.p(after.timeMs);
    const uuid = dialect === 'postgres' ? `${b.p(after.uuid)}::uuid` : b.p(after.uuid);
    b.add(`(time_ms, uuid) < (${time}, ${uuid})`);
  }
  return { sql: b.terms.length > 0 ? `WHERE ${b.terms.join(' AND ')}` : '', params: b.params };
}
