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
 *   VIGIL_BENCH_SIGMA=1 node dist/bench/engine.js      # plus every SigmaHQ process_creation rule
 *
 * VIGIL_BENCH_SIGMA adds SigmaHQ's Linux process_creation rules (../shared/sigma, see
 * test/support/sigma.ts), converted, to the last ruleset, all of them enabled whatever their status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundledRulesDir } from '../src/config/paths.js';
import { loadRuleset } from '../src/engine/load-ruleset.js';
import type { Ruleset } from '../src/engine/ruleset.js';
import { mix } from './engine-mix.js';
import { FALCO_RULES } from '../test/support/falco.js';
import { SIGMA_RULES } from '../test/support/sigma.js';

const seconds = Number(process.argv[2] ?? 3);

function rulePaths(): string[] {
  const paths: string[] = [];
  if (existsSync(FALCO_RULES)) paths.push(FALCO_RULES);
  const bundled = bundledRulesDir();
  if (existsSync(bundled) && readdirSync(bundled).some((n) => /\.ya?ml$/.test(n) && !/\.tests\./.test(n))) {
    paths.push(bundled);
  }
  if (paths.length === 0) paths.push('test/fixtures/rules');
  if (process.env.VIGIL_BENCH_SIGMA) paths.push(join(SIGMA_RULES, 'linux', 'process_creation'));
  return paths;
}

// Through the JSON reader, so the events have the shapes `vigil replay` gives them.
const events = mix(10_000);
if (process.env.VIGIL_BENCH_RULESET === undefined)
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
// Each ruleset but the last is measured in a process of its own, as the agent runs one ruleset: in
// one process the first ruleset's type feedback shaped the shared code (evaluate, the getters) the
// second then ran on, and the second's figure fell into a slow mode more often.
const only = process.env.VIGIL_BENCH_RULESET;
if (only === undefined) {
  for (let i = 0; i < rulesets.length - 1; i++) {
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        VIGIL_BENCH_RULESET: String(i),
        VIGIL_BENCH_BY_TYPE: '',
        VIGIL_BENCH_PER_RULE: '',
      },
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
const measured = only === undefined ? [rulesets[rulesets.length - 1]] : [rulesets[Number(only)]];
// Every converted Sigma rule runs, whatever its status.
const load = (paths: string[]): Ruleset => loadRuleset(paths, undefined, { minStatus: 'unsupported' });
let ruleset = load(all);
for (const paths of measured) {
  ruleset = load(paths);
  const m = measure(ruleset);
  console.log(
    `${ruleset.enabledRules.length} rules (${paths.join(' + ')}): ${m.rate.toLocaleString('en-US')} events/s ` +
      `on one core (${m.cpuSeconds.toFixed(2)} s CPU in ${m.wall.toFixed(2)} s wall), ` +
      `${(m.matched * 100).toFixed(2)}% of events matched`,
  );
}

if (process.env.VIGIL_BENCH_BY_TYPE && only === undefined) {
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

if (process.env.VIGIL_BENCH_PER_RULE && only === undefined) {
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
