/**
 * Engine throughput: a realistic event mix (opens, execs, connects, a few
 * dups and sockets), built once in memory, evaluated against Falco's stable
 * ruleset alone, then with the bundled rules/ (when it has rule files), on one core.
 * Prints events/s per CPU second of the evaluating thread (the machine may be
 * shared). Build first and run the compiled file: under tsx's loader the same
 * code measures several times slower.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/engine.js [seconds]
 *   VIGIL_BENCH_PER_RULE=1 node dist/bench/engine.js   # also ns/event for each rule
 *   VIGIL_BENCH_BY_TYPE=1 node dist/bench/engine.js    # also ns/event for each event type
 */
import { existsSync, readdirSync } from 'node:fs';
import { bundledRulesDir } from '../src/config/paths.js';
import { loadRuleset } from '../src/engine/load.js';
import type { Ruleset } from '../src/engine/ruleset.js';
import { sampleEvent } from '../src/engine/rule-tests/sample-event.js';
import type { VigilEvent } from '../src/event/types.js';
import { toEvent } from '../src/event/json.js';
import { FALCO_RULES } from '../test/support/falco.js';

const seconds = Number(process.argv[2] ?? 3);

function rulePaths(): string[] {
  const paths: string[] = [];
  if (existsSync(FALCO_RULES)) paths.push(FALCO_RULES);
  const bundled = bundledRulesDir();
  if (existsSync(bundled) && readdirSync(bundled).some((n) => /\.ya?ml$/.test(n) && !/\.tests\./.test(n))) {
    paths.push(bundled);
  }
  if (paths.length === 0) paths.push('test/fixtures/rules');
  return paths;
}

const FILES = [
  '/etc/ld.so.cache',
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/proc/self/status',
  '/var/lib/app/data.db',
  '/home/alice/.bashrc',
  '/tmp/build/out.o',
  '/var/log/app.log',
  '/etc/shadow',
];
const PROGRAMS: [string, string[]][] = [
  ['/usr/bin/ls', ['ls', '-la']],
  ['/usr/bin/cat', ['cat', 'README.md']],
  ['/usr/bin/git', ['git', 'status']],
  ['/usr/bin/python3.11', ['python3', 'manage.py', 'runserver']],
  ['/usr/bin/node', ['node', 'server.js']],
  ['/bin/sh', ['sh', '-c', 'make all']],
  ['/usr/bin/grep', ['grep', '-r', 'TODO', 'src']],
  ['/usr/bin/curl', ['curl', '-s', 'https://example.com']],
];
const PARENTS = [
  '/usr/bin/bash',
  '/usr/sbin/sshd',
  '/usr/bin/make',
  '/usr/sbin/nginx',
  '/usr/lib/systemd/systemd',
];

function mix(n: number): VigilEvent[] {
  const events: VigilEvent[] = [];
  for (let i = 0; i < n; i++) {
    const [exe, args] = PROGRAMS[i % PROGRAMS.length];
    const ancestors = [0, 1, 2].map((k) => ({ exe: PARENTS[(i + k) % PARENTS.length] }));
    const container = i % 4 === 0 ? { container_id: 'b1946ac92492' } : {};
    const proc = { exe, args, ancestors, ...container };
    const r = i % 100;
    if (r < 60) {
      const name = FILES[i % FILES.length];
      const write = i % 7 === 0;
      events.push(
        sampleEvent({
          type: 'openat',
          ret: 3,
          args: { fd: 3, name, flags: write ? 'O_WRONLY|O_CREAT' : 'O_RDONLY|O_CLOEXEC' },
          rawargs: { flags: write ? 0o101 : 0o2000000 },
          fd: { num: 3, type: 'file', name },
          proc,
        }),
      );
    } else if (r < 85) {
      events.push(sampleEvent({ type: 'execve', args: { flags: 'EXE_LOWER_LAYER' }, proc }));
    } else if (r < 95) {
      const rip = i % 3 === 0 ? '10.0.0.5' : '93.184.216.34';
      events.push(
        sampleEvent({
          type: 'connect',
          fd: {
            num: 5,
            type: 'ipv4',
            name: `192.168.1.20:${40000 + (i % 1000)}->${rip}:443`,
            l4proto: 'tcp',
            lip: '192.168.1.20',
            lport: 40000 + (i % 1000),
            rip,
            rport: 443,
            is_server: false,
            connected: true,
          },
          proc,
        }),
      );
    } else if (r < 98) {
      events.push(
        sampleEvent({ type: 'dup2', ret: 1, fd: { num: 1, type: 'pipe', name: 'pipe:[77]' }, proc }),
      );
    } else {
      events.push(
        sampleEvent({ type: 'socket', ret: 4, args: { domain: 'AF_INET', type: 'SOCK_STREAM' }, proc }),
      );
    }
  }
  return events;
}

// Through the JSON reader, so the events have the shapes `vigil replay` gives them.
const events = mix(10_000).map((e) => toEvent(JSON.parse(JSON.stringify(e))));
console.log('mix: 60% openat, 25% execve, 10% connect, 3% dup2, 2% socket (10,000 distinct events)');

/** events/s per CPU second of this thread, and the share of events that matched. */
function measure(ruleset: Ruleset): { rate: number; cpuSeconds: number; wall: number; matched: number } {
  // Warm up the closures (JIT), then measure whole passes over the mix until the time is up.
  let matches = 0;
  for (let k = 0; k < 20; k++) for (const ev of events) matches += ruleset.evaluate(ev).length;
  matches = 0;
  let evaluated = 0;
  // CPU time of this process, not wall time: the machine is shared, and "on one core" means the
  // time this loop actually ran.
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < events.length; i++) matches += ruleset.evaluate(events[i]).length;
    evaluated += events.length;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    rate: Math.round(evaluated / cpuSeconds),
    cpuSeconds,
    wall: Number(now - start) / 1e9,
    matched: matches / evaluated,
  };
}

const rulesets: string[][] = [];
const all = rulePaths();
if (all.length > 1) rulesets.push([all[0]]);
rulesets.push(all);
let ruleset = loadRuleset(all);
for (const paths of rulesets) {
  ruleset = loadRuleset(paths);
  const m = measure(ruleset);
  console.log(
    `${ruleset.enabledRules.length} rules (${paths.join(' + ')}): ${m.rate.toLocaleString('en-US')} events/s ` +
      `on one core (${m.cpuSeconds.toFixed(2)} s CPU in ${m.wall.toFixed(2)} s wall), ` +
      `${(m.matched * 100).toFixed(2)}% of events matched`,
  );
}

if (process.env.VIGIL_BENCH_BY_TYPE) {
  // The whole ruleset on the events of one type: where the time of the mix goes.
  const types = [...new Set(events.map((e) => e.type))];
  for (const type of types) {
    const mine = events.filter((e) => e.type === type);
    const c0 = process.cpuUsage();
    for (let k = 0; k < 200; k++) for (const e of mine) ruleset.evaluate(e);
    const c = process.cpuUsage(c0);
    const ns = ((c.user + c.system) * 1000) / (200 * mine.length);
    const share = (mine.length / events.length) * ns;
    console.log(
      `${ns.toFixed(0).padStart(6)} ns/event  ${share.toFixed(0).padStart(5)} ns/mix-event  ${type}`,
    );
  }
}

if (process.env.VIGIL_BENCH_PER_RULE) {
  for (const rule of ruleset.enabledRules) {
    const mine = events.filter((e) => rule.eventTypes === null || rule.eventTypes.has(e.type));
    let hits = 0;
    const c0 = process.cpuUsage();
    for (let k = 0; k < 100; k++) for (const e of mine) if (rule.test(e)) hits++;
    const c = process.cpuUsage(c0);
    const ns = ((c.user + c.system) * 1000) / (100 * Math.max(1, mine.length));
    console.log(
      `${ns.toFixed(0).padStart(6)} ns/event  ${String(mine.length).padStart(6)} events  ` +
        `${String(hits / 100).padStart(5)} match  ${rule.name}`,
    );
  }
}
