import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../../src/cli/alerts.js';
import type { Alert } from '../../src/event/alert.js';
import { parseLines, parseTimeBound, ruleLikePattern } from '../../src/outputs/store/alert-query.js';
import { tableTime } from '../../src/outputs/formats/alert-table.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { waitFor } from './support/wait.js';

let dir: string;
let db: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-cli-alerts-'));
  db = join(dir, 'alerts.db');
  const store = AlertStore.open(db);
  const base = makeAlert(0);
  store.insert([
    makeAlert(0, { priority: 'Critical' }),
    makeAlert(1, { priority: 'Notice', rule: 'Outbound connection' }),
    makeAlert(2, { time: '2026-11-24T09:00:00.000000000Z', priority: 'Error' }),
    makeAlert(3, { event: { ...base.event, proc: { ...base.event.proc, container_id: '', pid: 77 } } }),
  ]);
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function query(opts: Record<string, unknown>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run({ db, ...opts, out: (t) => void (out += t), err: (l) => void (err += `${l}\n`) });
  return { code, out, err };
}

const seqs = (out: string): number[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => seqOf(JSON.parse(l) as Alert));

test('vigil alerts --json with each filter', async () => {
  assert.deepEqual(seqs((await query({ json: true })).out), [0, 1, 2, 3]);
  assert.deepEqual(
    seqs((await query({ json: true, priority: 'error' })).out),
    [0, 2],
    'Error or more severe',
  );
  assert.deepEqual(seqs((await query({ json: true, rule: 'Outbound connection' })).out), [1]);
  assert.deepEqual(seqs((await query({ json: true, container: '3ad7b26ded6d' })).out), [0, 1, 2]);
  assert.deepEqual(seqs((await query({ json: true, since: '2026-11-24T08:00:00Z' })).out), [2]);
  assert.deepEqual(seqs((await query({ json: true, where: 'event.proc.pid = 77' })).out), [3]);
  assert.deepEqual(
    seqs(
      (
        await query({
          json: true,
          where: '"T1003" in tags and priority != "Critical"',
          rule: 'Read sensitive file untrusted',
        })
      ).out,
    ),
    [2, 3],
  );
  const line = (await query({ json: true, rule: 'Outbound connection' })).out.trim();
  assert.deepEqual(
    JSON.parse(line),
    makeAlert(1, { priority: 'Notice', rule: 'Outbound connection' }),
    'the stored JSON as is',
  );
});

test('vigil alerts prints a readable table by default', async () => {
  const { code, out } = await query({ priority: 'Critical', utc: true });
  assert.equal(code, 0);
  const [header, row, ...rest] = out.trimEnd().split('\n');
  assert.deepEqual(rest, []);
  assert.match(header, /^TIME +PRIORITY +RULE +HOST +CONTAINER +PROCESS +OUTPUT$/);
  assert.match(
    row,
    /^2026-11-23T21:00:00\.000Z +Critical +Read sensitive file untrusted +node-7 +3ad7b26ded6d cat\(4242\) +Sensitive file opened/,
  );
});

test('vigil alerts reports bad input clearly', async () => {
  assert.match(
    (await query({ since: 'yesterday-ish' })).err,
    /--since: "yesterday-ish" is neither a duration/,
  );
  assert.match((await query({ priority: 'loud' })).err, /unknown priority "loud"/);
  assert.match((await query({ where: 'a = ' })).err, /--where: not valid JSONata/);
  const missing = await run({ db: join(dir, 'nope.db'), err: () => undefined });
  assert.equal(missing, 1);
  assert.match((await query({ until: 'soon' })).err, /--until: "soon" is neither a duration/);
  assert.match((await query({ lines: '-3' })).err, /-n: "-3" is not a number of alerts/);
  assert.match((await query({ follow: true, reverse: true })).err, /cannot be combined with -r/);
  assert.match((await query({ follow: true, count: true })).err, /cannot be combined with --follow/);
  assert.match((await query({ follow: true, until: '1h' })).err, /cannot be combined with --follow/);
});

test('time bounds as journalctl takes them', () => {
  const now = new Date(2026, 10, 24, 15, 30).getTime(); // local time
  assert.equal(parseTimeBound('10m', '--since', now), now - 600_000);
  assert.equal(parseTimeBound('2h ago', '--since', now), now - 7_200_000);
  assert.equal(parseTimeBound('-1d', '--since', now), now - 86_400_000);
  assert.equal(parseTimeBound('now', '--until', now), now);
  assert.equal(parseTimeBound('today', '--since', now), new Date(2026, 10, 24).getTime());
  assert.equal(parseTimeBound('Yesterday', '--since', now), new Date(2026, 10, 23).getTime());
  assert.equal(
    parseTimeBound('2026-11-20', '--since', now),
    new Date(2026, 10, 20).getTime(),
    'local midnight',
  );
  assert.equal(parseTimeBound('2026-11-20 08:15', '--since', now), new Date(2026, 10, 20, 8, 15).getTime());
  assert.equal(parseTimeBound('2026-11-20T08:15:00Z', '--since', now), Date.UTC(2026, 10, 20, 8, 15));
  assert.equal(parseTimeBound('2026-11-20T08:15:00+02:00', '--since', now), Date.UTC(2026, 10, 20, 6, 15));
  assert.throws(() => parseTimeBound('5', '--until', now), /--until: "5" is neither/);
});

test('-n, --rule patterns and table times', () => {
  assert.deepEqual(parseLines(true), { count: 10, fromOldest: false });
  assert.deepEqual(parseLines('25'), { count: 25, fromOldest: false });
  assert.deepEqual(parseLines('+3'), { count: 3, fromOldest: true });
  assert.equal(parseLines('all'), undefined);
  assert.throws(() => parseLines('ten'), /-n: "ten"/);
  assert.equal(ruleLikePattern('Read *file?'), 'Read %file_');
  assert.equal(ruleLikePattern('100%_\\'), '100\\%\\_\\\\', '%, _ and \\ are literal');
  assert.equal(tableTime('2026-11-23T21:00:00.123456789Z', true), '2026-11-23T21:00:00.123Z');
});

test('vigil alerts --follow prints alerts as they are stored', async () => {
  const stop = new AbortController();
  let out = '';
  const done = run({
    db,
    json: true,
    follow: true,
    rule: 'Tail me',
    pollMs: 20,
    signal: stop.signal,
    out: (t) => void (out += t),
  });
  const store = AlertStore.open(db);
  store.insert([makeAlert(10, { rule: 'Tail me' }), makeAlert(11)]);
  await waitFor(() => out.includes('\n'));
  store.insert([makeAlert(12, { rule: 'Tail me' })]);
  await waitFor(() => seqs(out).length === 2);
  stop.abort();
  assert.equal(await done, 0);
  store.close();
  assert.deepEqual(seqs(out), [10, 12]);
});
