/**
 * `vigil alerts` as a user runs it: the real CLI in a child process over a store of thousands of
 * alerts, its stdout into `head -1` or read whole, options as journalctl takes them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
import { run, type AlertsOptions } from '../../src/cli/alerts.js';
import { buildProgram } from '../../src/cli/main.js';
import { runVigil, vigilCommand, type VigilRun } from '../ops/cli.js';
import { makeAlert, seqOf } from './support/alerts.js';
import { waitFor } from './support/wait.js';

const TOTAL = 3000;
const BASE = Date.UTC(2026, 10, 23, 0, 0, 0);
const RULES = ['Outbound connection to C2', 'Read sensitive file untrusted', 'Write below etc'];
/** Alert `seq`: one a minute from BASE, rules in turn; seq 7 has a name with LIKE's own wildcards. */
const ruleOf = (seq: number): string => (seq === 7 ? 'Rule 100%_done' : RULES[seq % 3]);
const at = (seq: number): string => new Date(BASE + seq * 60_000).toISOString();

let dir: string;
let db: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-alerts-cli-'));
  db = join(dir, 'alerts.db');
  const store = AlertStore.open(db);
  const alerts: Alert[] = [];
  for (let seq = 0; seq < TOTAL; seq++) alerts.push(makeAlert(seq, { rule: ruleOf(seq), time: at(seq) }));
  store.insert(alerts);
  store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Result = VigilRun;

/** Runs `vigil alerts --db <db> ...args` to completion. */
const vigil = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> =>
  runVigil(['alerts', '--db', db, ...args], env);

/** `vigil alerts ... | head -1`: the CLI's stdout is head's stdin, a real pipe head closes. */
function vigilIntoHead(args: string[]): Promise<{ cli: Result; head: string }> {
  const head = spawn('head', ['-n', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [cmd, argv] = vigilCommand(['alerts', '--db', db, ...args]);
  const cli = spawn(cmd, argv, { stdio: ['ignore', head.stdin, 'pipe'] });
  head.stdin.destroy(); // the CLI holds the only write end
  let headOut = '';
  let err = '';
  head.stdout.setEncoding('utf8').on('data', (d: string) => (headOut += d));
  cli.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const headDone = new Promise((r) => head.on('close', r));
  return new Promise((resolve, reject) => {
    cli.on('error', reject);
    cli.on(
      'close',
      (code, signal) =>
        void headDone.then(() => resolve({ cli: { code, signal, out: '', err }, head: headOut })),
    );
  });
}

const seqs = (out: string): number[] =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => seqOf(JSON.parse(l) as Alert));
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('vigil alerts | head -1: quiet on a closed pipe', { concurrency: true }, () => {
  for (const args of [[], ['--json', '-r']]) {
    test(`vigil alerts ${args.join(' ')} | head -1: exit 0, nothing on stderr`, async () => {
      const { cli, head } = await vigilIntoHead(args);
      assert.equal(cli.err, '', 'no EPIPE stack trace');
      assert.deepEqual([cli.code, cli.signal], [0, null], 'exit 0, as journalctl (systemd 258+)');
      assert.equal(head.split('\n').length, 2, 'head printed its one line');
    });
  }
});

/** Options as the CLI parses them (main.ts), run in this process: the cases the child runs too. */
async function inProcess(args: string[]): Promise<Result> {
  let opts: AlertsOptions = {};
  const program = buildProgram();
  program.commands.find((c) => c.name() === 'alerts')?.action((o: AlertsOptions) => void (opts = o));
  await program.parseAsync(['alerts', '--db', db, ...args], { from: 'user' });
  let out = '';
  let err = '';
  const code = await run({ ...opts, out: (t) => void (out += t), err: (l) => void (err += `${l}\n`) });
  return { code, signal: null, out, err };
}

/** Each case runs in this process; those marked `child` run in a child process as well. */
const CASES: { args: string[]; seqs?: number[]; count?: number; child?: true }[] = [
  { args: ['-n', '3'], seqs: [2997, 2998, 2999], child: true },
  { args: ['-n', '3', '-r'], seqs: [2999, 2998, 2997], child: true },
  { args: ['-n', '+2'], seqs: [0, 1] },
  { args: ['-n', '+2', '-r'], seqs: [1, 0] },
  { args: ['-n', '0'], seqs: [] },
  { args: ['-n', 'all', '-r'], seqs: range(0, TOTAL).reverse() },
  { args: ['-r'], seqs: range(0, TOTAL).reverse() },
  { args: ['--until', at(4)], seqs: range(0, 5) },
  { args: ['--since', at(100), '--until', at(103), '-r'], seqs: [103, 102, 101, 100], child: true },
  { args: ['--until', '2026-11-23T00:02:00+00:00', '-n', '2'], seqs: [1, 2] },
  { args: ['--where', '$number($substring(uuid, 24)) < 4', '-n', '2'], seqs: [2, 3] },
  { args: ['--rule', 'write BELOW etc', '-n', '2'], seqs: [2996, 2999] },
  { args: ['--rule', 'out*c?', '-n', '+2'], seqs: [0, 3], child: true },
  { args: ['--rule', '*100%_*'], seqs: [7], child: true },
  { args: ['--rule', '*100__done'], seqs: [] },
  { args: ['--rule', '*100%done'], seqs: [] },
  { args: ['--rule', 'Read sensitive file untrusted', '--since', at(2990)], seqs: [2992, 2995, 2998] },
  { args: ['--count'], count: TOTAL },
  { args: ['--count', '--rule', 'OUTBOUND*'], count: 1000, child: true },
  { args: ['--count', '--rule', 'outbound*', '-n', '10'], count: 10 },
  { args: ['--count', '--until', at(9)], count: 10 },
  { args: ['--count', '--where', '$contains(rule, "etc")', '--since', at(2000)], count: 334, child: true },
];

describe('vigil alerts: -n, -r, --until, --count, --rule patterns', { concurrency: 2 }, () => {
  for (const c of CASES) {
    const args = c.count === undefined ? ['--json', ...c.args] : c.args;
    for (const where of c.child ? ['in-process', 'child'] : ['in-process']) {
      test(`${where}: vigil alerts ${args.join(' ')}`, async () => {
        const r = where === 'child' ? await vigil(args) : await inProcess(args);
        assert.equal(r.code, 0, r.err);
        if (c.seqs) assert.deepEqual(seqs(r.out), c.seqs);
        else assert.equal(r.out, `${c.count}\n`, 'only the number');
      });
    }
  }
  test('a bad -n or --until: exit 1, the option named', async () => {
    const bad = await vigil(['-n', 'ten']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^vigil alerts: -n: "ten" is not a number of alerts/);
    const until = await inProcess(['--until', 'later']);
    assert.equal(until.code, 1);
    assert.match(until.err, /^vigil alerts: --until: "later" is neither a duration/);
  });
});

describe('vigil alerts: times in RFC 3339 with their zone', { concurrency: 2 }, () => {
  const cases: [string, string[], string][] = [
    ['Asia/Kolkata', [], '2026-11-25T07:29:00.000+05:30'],
    ['America/New_York', [], '2026-11-24T20:59:00.000-05:00'],
    ['Asia/Kolkata', ['--utc'], '2026-11-25T01:59:00.000Z'],
  ];
  for (const [tz, args, time] of cases) {
    test(`TZ=${tz} vigil alerts -n 1 ${args.join(' ')}`, async () => {
      const r = await vigil(['-n', '1', ...args], { TZ: tz });
      assert.equal(r.code, 0, r.err);
      const [header, row] = r.out.split('\n');
      assert.match(header, /^TIME {26}PRIORITY/);
      assert.ok(row.startsWith(`${time} `), row);
      assert.match(row.slice(29), /^ Warning +Write below etc /);
    });
  }
});

test('vigil alerts -f: the newest 10, then each new alert; exit 0 on SIGINT', async () => {
  const [cmd, argv] = vigilCommand(['alerts', '--db', db, '-f', '--json', '--rule', 'tail*']);
  const writer = AlertStore.open(db);
  writer.insert(range(0, 12).map((i) => makeAlert(10_000 + i, { rule: 'Tail me' })));
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  await waitFor(() => seqs(out).length === 10);
  writer.insert([makeAlert(20_000, { rule: 'Tail me' }), makeAlert(20_001)]);
  await waitFor(() => seqs(out).length === 11);
  writer.close();
  child.kill('SIGINT');
  assert.equal(await closed, 0, err);
  assert.deepEqual(seqs(out), [...range(10_002, 10_012), 20_000]);
});
