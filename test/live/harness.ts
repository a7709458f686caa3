/**
 * One real Sensor per live test file, and ways to wait for the events a test
 * caused. Events are matched as they arrive and only the matching ones are
 * kept, so a test that makes a million events does not hold a million objects.
 *
 * To know that every event of a child has arrived (for "no such event"
 * checks), wait for the child's procexit: the kernel records it after the
 * process's last syscall.
 */
import { spawn } from 'node:child_process';
import { after, type TestContext } from 'node:test';
import type { EventType, VigilEvent } from '../../src/event/types.js';
import { Sensor } from '../../src/sensor/sensor.js';
import { requireLive } from '../support/live.js';

type Matcher = { pred: (e: VigilEvent) => boolean; hits: VigilEvent[]; keep: boolean; count: number };

export class LiveSensor {
  private constructor(
    readonly sensor: Sensor,
    private readonly matchers: Set<Matcher>,
  ) {}

  static async start(types?: Set<EventType>): Promise<LiveSensor> {
    const matchers = new Set<Matcher>();
    const sensor = await Sensor.start({
      types,
      // Every probe is under test here, the stand-in for module loading on kernels without it too.
      fallbacks: true,
      onEvents: (events) => {
        for (const m of matchers) {
          for (const e of events) {
            if (m.pred(e)) {
              m.count++;
              if (m.keep) m.hits.push(e);
            }
          }
        }
      },
    });
    return new LiveSensor(sensor, matchers);
  }

  /** Starts keeping (or with keep=false, only counting) the events that match. */
  watch(pred: (e: VigilEvent) => boolean, keep = true): Matcher {
    const m: Matcher = { pred, hits: [], keep, count: 0 };
    this.matchers.add(m);
    return m;
  }

  unwatch(m: Matcher): void {
    this.matchers.delete(m);
  }

  /** Resolves once `done()` is true; rejects after timeoutMs with `what`. */
  async until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Watches everything `pid` and its descendants do, until their events are in. A descendant's
   * pid is forgotten at its procexit: a reused pid must not bring another process into this tree.
   */
  watchTree(root: () => number | undefined): Matcher {
    const pids = new Set<number>();
    return this.watch((e) => {
      const r = root();
      if (r === undefined) return false;
      if (e.proc.pid === r || pids.has(e.proc.pid) || e.proc.ancestors.some((a) => a.pid === r)) {
        if (e.type === 'procexit') pids.delete(e.proc.pid);
        else pids.add(e.proc.pid);
        return true;
      }
      return false;
    });
  }
}

let shared: Promise<LiveSensor> | undefined;
// Registered when the test file loads: an after() called inside a test would stop the sensor
// at the end of that test.
after(async () => {
  if (shared !== undefined) await (await shared).sensor.stop();
});

/** The file's sensor (all event types), started by the first test that needs it; null when skipped. */
export async function liveSensor(t: TestContext): Promise<LiveSensor | null> {
  if (!requireLive(t)) return null;
  shared ??= LiveSensor.start();
  return shared;
}

export interface RunResult {
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (no shell unless the argv is one). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid!, code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a program and waits until its procexit (and so all its events) has arrived. */
export async function runTraced(
  live: LiveSensor,
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<{ result: RunResult; events: VigilEvent[] }> {
  // Events are delivered asynchronously: watching right after spawn misses none.
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  const m = live.watchTree(() => pid);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.end(opts.input);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  await live.until(
    () => m.hits.some((e) => e.type === 'procexit' && e.proc.pid === pid),
    `procexit of ${cmd}`,
  );
  live.unwatch(m);
  return { result: { pid: pid!, code, stdout, stderr }, events: m.hits };
}

export const PYTHON = '/usr/bin/python3';
