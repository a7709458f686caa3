/**
 * Live rule tests: one Sensor and one loaded bundled ruleset per test file;
 * each action runs as a real child process and every event of its process
 * tree (until its procexit) is evaluated against all rules, as `vigil run`
 * would, but with every matching rule reported (`rule_matching: all`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { detect, monitorDetector, type Detector } from '../../src/agent/detect.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { bundledRulesDir } from '../../src/config/paths.js';
import type { Alert } from '../../src/event/alert.js';
import type { VigilEvent } from '../../src/event/types.js';
import { liveSensor, runTraced, type LiveSensor, type RunResult } from '../live/harness.js';

/**
 * VIGIL_RECORD_RULE_CASES=<dir>: each attack's alerting event and each twin's nearest event are
 * appended to <dir>/cases.jsonl, with every alert they raise; test/rules/write-cases.ts turns them
 * into the rules' *.tests.yaml replay cases (real kernel events, replayed without root).
 */
const RECORD = process.env.VIGIL_RECORD_RULE_CASES;
interface Recorded {
  rule: string;
  kind: 'attack' | 'benign';
  event: VigilEvent;
  alerts: string[];
}
function record(r: Recorded): void {
  if (RECORD) appendFileSync(join(RECORD, 'cases.jsonl'), JSON.stringify(r) + '\n');
}
/** The rules that fired on the kernel event `ev` (an alert carries a redacted copy of its event). */
const alertsOn = (out: Outcome, ev: VigilEvent): string[] =>
  out.alerts.filter((a) => out.sources.get(a) === ev).map((a) => a.rule);

let cached: Ruleset | undefined;
export const bundledRules = (): Ruleset => (cached ??= loadRuleset([bundledRulesDir()], 'all'));

export interface Outcome {
  result: RunResult;
  events: VigilEvent[];
  alerts: Alert[];
  /** Each alert's kernel event. */
  sources: Map<Alert, VigilEvent>;
}

/**
 * Events of the tree after the root's first exec: before it the child is still node, wiring its
 * stdio (dup2 of pipes onto 0-2), which is the test runner's doing, not the action's.
 */
function afterRootExec(events: VigilEvent[], root: number): VigilEvent[] {
  const i = events.findIndex((e) => e.type === 'execve' && e.proc.pid === root);
  return i < 0 ? [] : events.slice(i);
}

export class RuleRunner {
  private readonly lastAttackType = new Map<string, string>();
  private readonly detector: Detector;
  constructor(
    readonly live: LiveSensor,
    readonly rules: Ruleset,
  ) {
    this.detector = monitorDetector(rules, hostname());
  }

  /** Runs argv to completion and evaluates every event it caused. */
  async run(argv: readonly string[], opts: { cwd?: string; input?: string } = {}): Promise<Outcome> {
    const { result, events } = await runTraced(this.live, argv[0], argv.slice(1), opts);
    const mine = afterRootExec(events, result.pid);
    const alerts: Alert[] = [];
    const sources = new Map<Alert, VigilEvent>();
    for (const ev of mine) {
      const from = alerts.length;
      detect(ev, this.detector, alerts);
      for (let i = from; i < alerts.length; i++) sources.set(alerts[i], ev);
    }
    return { result, events: mine, alerts, sources };
  }

  /** Runs the attack and returns the first alert of `rule`; fails listing what did fire. */
  async fires(
    rule: string,
    argv: readonly string[],
    fields: Record<string, unknown> = {},
    opts: { cwd?: string; input?: string } = {},
  ): Promise<Alert> {
    const out = await this.run(argv, opts);
    const hit = out.alerts.find((a) => a.rule === rule);
    if (hit) this.lastAttackType.set(rule, hit.event.type);
    assert.ok(
      hit,
      `expected '${rule}' from ${JSON.stringify(argv)}; fired: ${JSON.stringify(out.alerts.map((a) => a.rule))}; ` +
        `exit ${out.result.code} ${out.result.stderr.slice(0, 300)}`,
    );
    const source = out.sources.get(hit)!;
    record({ rule, kind: 'attack', event: source, alerts: alertsOn(out, source) });
    for (const [k, v] of Object.entries(fields)) {
      const got: unknown = hit.output_fields[k];
      if (v instanceof RegExp) assert.match(String(got), v, `${rule}: ${k}`);
      else assert.equal(got, v, `${rule}: ${k}`);
    }
    return hit;
  }

  /** Runs the benign twin: `rule` must stay silent. */
  async silent(
    rule: string,
    argv: readonly string[],
    opts: { cwd?: string; input?: string } = {},
  ): Promise<Outcome> {
    const out = await this.run(argv, opts);
    const hits = out.alerts.filter((a) => a.rule === rule);
    assert.equal(
      hits.length,
      0,
      `'${rule}' fired on the benign twin ${JSON.stringify(argv)}: ${hits[0]?.output}`,
    );
    if (RECORD) {
      // The twin's event nearest the attack's: the last of the root tree's events of the type that fired.
      const type = this.lastAttackType.get(rule);
      const ev = [...out.events].reverse().find((e) => e.type === type && e.type !== 'procexit');
      if (ev) record({ rule, kind: 'benign', event: ev, alerts: alertsOn(out, ev) });
    }
    return out;
  }
}

/** The file's runner (sensor started by the first test); null when live tests are skipped. */
export async function ruleRunner(t: TestContext): Promise<RuleRunner | null> {
  const live = await liveSensor(t);
  if (!live) return null;
  return new RuleRunner(live, bundledRules());
}

export const sh = (script: string): string[] => ['/bin/sh', '-c', script];
export const bash = (script: string): string[] => ['/usr/bin/bash', '-c', script];
export const PY = '/usr/bin/python3';
export const py = (code: string): string[] => [PY, '-c', code];
export const perl = (code: string): string[] => ['/usr/bin/perl', '-e', code];
/** argv run as nobody (uid and gid 65534, no supplementary groups): where the kernel refuses root's acts. */
export const asNobody = (...argv: string[]): string[] => [
  '/usr/bin/setpriv',
  '--reuid=65534',
  '--regid=65534',
  '--clear-groups',
  ...argv,
];

/**
 * A scratch directory for one test file, removed at the end. Its name ends in the process id, not
 * mkdtemp's random letters: rules match substrings of paths in command lines ("-d" in
 * "sigma-dCjX1M" fired a Sigma rule's benign twin).
 */
export function scratch(prefix: string): string {
  const dir = join(tmpdir(), `vigil-rules-${prefix}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** A copy of a real program under another name (a tool the host does not have, or a server's name). */
export function toolCopy(dir: string, name: string, src = '/usr/bin/true'): string {
  const path = join(dir, name);
  copyFileSync(src, path);
  chmodSync(path, 0o755);
  return path;
}

export const rand = (): string => randomBytes(4).toString('hex');

/**
 * Runs fn with `path` free to be written by the action (a real system path: the rules watch real
 * places), then removes it, and its directory when the test created that; an existing file is
 * restored to its previous content.
 */
export async function atRealPath<T>(path: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = dirname(path);
  const createdDir = !existsSync(dir);
  if (createdDir) mkdirSync(dir, { recursive: true });
  const before = existsSync(path) ? readFileSync(path) : null;
  try {
    return await fn(path);
  } finally {
    if (before === null) rmSync(path, { force: true });
    else writeFileSync(path, before);
    if (createdDir) rmSync(dir, { recursive: true, force: true });
  }
}
