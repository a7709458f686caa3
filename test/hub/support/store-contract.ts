/**
 * What every hub store must do, run against SQLite (test/hub/sqlite-store.test.ts) and PostgreSQL
 * (test/hub/postgres.slow.test.ts) alike.
 */
import assert from 'node:assert/strict';
import { alertRow } from '../../../src/hub/alert-row.js';
import type { Cursor, HubFilter, HubStore } from '../../../src/hub/store.js';
import { fleetAlert } from './hub-fixture.js';

const T0 = Date.UTC(2026, 10, 23, 21, 0, 0);

/** 300 alerts from three hosts, two rules, three priorities, a pod on some. */
export function contractRows() {
  return Array.from({ length: 300 }, (_, i) => {
    const a = fleetAlert(`host-${i % 3}`, i, {
      rule: i % 2 === 0 ? 'Read sensitive file untrusted' : 'Shell in container',
      priority: (['Critical', 'Warning', 'Notice'] as const)[i % 3 === 0 ? 0 : i % 5 === 0 ? 1 : 2],
      tags: i % 4 === 0 ? ['mitre_execution', 'T1059'] : ['filesystem'],
      output: `event ${i} ${i % 10 === 0 ? 'needle' : 'hay'}`,
    });
    // Ten alerts share each millisecond: the keyset's uuid part decides within it.
    a.time = new Date(T0 + Math.floor(i / 10)).toISOString();
    if (i % 7 === 0)
      a.event.container = { id: 'c0ffee', pod: { uid: 'u', name: `web-${i % 2}`, namespace: 'shop' } };
    return alertRow(JSON.stringify(a));
  });
}

async function pages(store: HubStore, f: HubFilter, limit: number): Promise<string[]> {
  const out: string[] = [];
  let after: Cursor | undefined;
  do {
    const p = await store.page(f, limit, after);
    out.push(...p.alerts.map((j) => (JSON.parse(j) as { uuid: string }).uuid));
    after = p.next;
  } while (after);
  return out;
}

export async function storeContract(store: HubStore): Promise<void> {
  const rows = contractRows();
  assert.equal(await store.insert(rows.slice(0, 200)), 200);
  assert.equal(await store.insert(rows), 100, 'uuids already stored are left as they are');
  assert.equal(await store.count(), 300);

  // Keyset pages: every alert once, newest first, whatever the page size.
  const all = await pages(store, {}, 7);
  assert.equal(all.length, 300);
  assert.equal(new Set(all).size, 300);
  const byTime = [...rows]
    .sort((a, b) => b.timeMs - a.timeMs || (b.uuid < a.uuid ? -1 : 1))
    .map((r) => r.uuid);
  assert.deepEqual(all, byTime);

  const count = async (f: HubFilter) => (await pages(store, f, 1000)).length;
  const expect = (p: (r: (typeof rows)[number]) => boolean) => rows.filter(p).length;
  assert.equal(
    await count({ host: 'host-1' }),
    expect((r) => r.hostname === 'host-1'),
  );
  assert.equal(await count({ rule: 'Shell in container' }), 150);
  assert.equal(
    await count({ maxPriority: 4 }),
    expect((r) => r.priority <= 4),
  );
  assert.equal(await count({ tag: 'T1059' }), 75);
  assert.equal(await count({ tag: 'T105' }), 0, 'a tag matches whole');
  assert.equal(
    await count({ container: 'c0ffee' }),
    expect((r) => r.containerId === 'c0ffee'),
  );
  assert.equal(
    await count({ pod: 'shop/web-0' }),
    expect((r) => r.pod === 'shop/web-0'),
  );
  assert.equal(
    await count({ pod: 'web-1' }),
    expect((r) => r.pod === 'shop/web-1'),
  );
  assert.equal(await count({ q: 'needle' }), 30);
  assert.equal(await count({ q: 'NEEDLE sensitive' }), 30, 'every word, any case');
  assert.equal(await count({ q: 'needle shell' }), 0);
  assert.equal(await count({ sinceMs: T0 + 10, untilMs: T0 + 19 }), 100);
  assert.equal(
    await count({ host: 'host-2', rule: 'Read sensitive file untrusted', maxPriority: 5 }),
    expect((r) => r.hostname === 'host-2' && r.rule === 'Read sensitive file untrusted' && r.priority <= 5),
  );

  // Text that looks like SQL is a value like any other: nothing matches, nothing runs.
  for (const evil of ["x' OR '1'='1", "'; DROP TABLE alerts; --", '%', '_', '\\', 'a" OR 1=1 --']) {
    for (const key of ['host', 'rule', 'tag', 'container', 'pod', 'q'] as const)
      assert.equal(await count({ [key]: evil }), 0, `${key}=${evil}`);
  }
  assert.equal(await store.count(), 300);

  const one = rows[42];
  assert.equal(await store.get(one.uuid), one.json);
  assert.equal(await store.get(one.uuid.toUpperCase()), one.json);
  assert.equal(await store.get('00000000-0000-4000-8000-000000000000'), undefined);

  const s = await store.stats({}, 10, 2);
  assert.equal(
    s.buckets.reduce((n, [, c]) => n + c, 0),
    300,
  );
  assert.equal(s.buckets[0][0], T0, 'buckets start on multiples of the bucket');
  assert.equal(s.rules.length, 2);
  assert.equal(s.hosts.length, 2, 'the top N only');
  assert.deepEqual(
    s.priorities.map((p) => p.key).sort(),
    [0, 2, 5].filter((k) => s.priorities.some((p) => p.key === k)),
  );
  const host0 = await store.stats({ host: 'host-0' }, 60_000, 10);
  assert.deepEqual(host0.hosts, [{ key: 'host-0', count: 100 }]);

  assert.equal(await store.deleteBefore(T0 + 10), 100);
  assert.equal(await store.count(), 200);
}
