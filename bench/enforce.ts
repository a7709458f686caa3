/**
 * Enforcement figures, on the real kernel (root):
 *   - time from the syscall to the process's death, from kernel timestamps (the matching event's
 *     and the process's procexit): kernel path (SIGKILL from the probe at openat's return, and at
 *     exec) against the user-space fallback (pidfd kill after the alert);
 *   - what enforcing adds to exec and connect: a loop of execs (bash running /bin/true) and of
 *     TCP connects (python3) timed with the sensor alone, then with enforcement on (policies
 *     loaded for other names and ports, so every exec and connect is checked and let through).
 * Run: node --import tsx bench/enforce.ts
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.js';
import { loadRuleset } from '../src/engine/load-ruleset.js';
import type { Alert } from '../src/event/alert.js';
import type { VigilEvent } from '../src/event/types.js';
import { detect, type Detector } from '../src/agent/detect.js';
import { Enforcer, cgroup2Root } from '../src/enforce/enforcer.js';
import { PolicyMaps, type PolicyEntry } from '../src/enforce/policy-maps.js';
import { Sensor } from '../src/sensor/sensor.js';

const RUNS = 10;
const EXECS = 100;
const CONNECTS = 1000;
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-enforce-'));
const secret = join(dir, 'secret');
const killed = join(dir, 'vg-kill-bench');
const slow = join(dir, 'vgslowbench');
writeFileSync(secret, 'x\n');
copyFileSync('/bin/echo', killed);
copyFileSync('/bin/sleep', slow);
execFileSync('chmod', ['755', killed, slow]);
writeFileSync(
  join(dir, 'rules.yaml'),
  `
- rule: bench read
  desc: d
  condition: evt.type in (open, openat) and fd.name = ${secret}
  output: o
  priority: WARNING
  action: kill
- rule: bench exec
  desc: d
  condition: evt.type = execve and proc.exepath = ${killed}
  output: o
  priority: WARNING
  action: kill
- rule: bench broad
  desc: d
  condition: evt.type = execve and proc.cmdline icontains vgslowbench
  output: o
  priority: WARNING
  action: kill
- rule: bench connect
  desc: d
  condition: evt.type = connect and fd.sip = 127.0.0.2 and fd.sport = 9
  output: o
  priority: WARNING
  action: deny
`,
  { mode: 0o644 },
);

const CONNECT_LOOP = `
import socket, threading, time, sys
n = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4096)
def acc():
    while True:
        c, _ = srv.accept(); c.close()
threading.Thread(target=acc, daemon=True).start()
addr = srv.getsockname()
t = time.perf_counter()
for i in range(n):
    s = socket.socket(); s.connect(addr); s.close()
print((time.perf_counter() - t) / n * 1e6)
`;

function execLoopUs(): number {
  const t = process.hrtime.bigint();
  spawnSync('/bin/bash', ['-c', `for i in $(seq ${EXECS}); do /bin/true; done`]);
  return Number(process.hrtime.bigint() - t) / 1e3 / EXECS;
}
function connectLoopUs(): number {
  return Number(
    spawnSync('/usr/bin/python3', ['-c', CONNECT_LOOP, String(CONNECTS)], { encoding: 'utf8' }).stdout,
  );
}
const ROUNDS = 5;
const say = (what: string): boolean => process.stderr.write(`bench/enforce: ${what}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function withAgent<T>(
  enforce: boolean,
  fn: (seen: Map<number, VigilEvent[]>) => Promise<T>,
): Promise<T> {
  const engine = new Engine(loadRuleset([join(dir, 'rules.yaml')]));
  const enforcer = Enforcer.open(engine.ruleset.enabledRules, {
    enabled: enforce,
    allow: { exe: [], uid: [], container: [] },
  });
  const seen = new Map<number, VigilEvent[]>();
  const detector: Detector = { rules: engine, enforcer, hostname: 'bench' };
  const alerts: Alert[] = [];
  const sensor = await Sensor.start({
    types: new Set([...engine.eventTypes(), 'procexit']),
    reuseMaps: enforcer.reuseMaps(),
    onEvents: (events) => {
      for (const ev of events) {
        alerts.length = 0;
        detect(ev, detector, alerts);
        if (alerts.length > 0 || ev.type === 'procexit') {
          const list = seen.get(ev.proc.pid) ?? [];
          if (list.length < 8) list.push(ev);
          seen.set(ev.proc.pid, list);
        }
        if (seen.size > 10_000) seen.clear();
      }
    },
  });
  try {
    return await fn(seen);
  } finally {
    await sensor.stop();
    enforcer.close();
  }
}

/** ms from the matching event to the procexit of each run's process. */
async function killLatency(seen: Map<number, VigilEvent[]>, cmd: string, args: string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Not spawnSync: the user-space kill needs this event loop running.
    const child = spawn(cmd, args, { stdio: 'ignore' });
    const pid = child.pid!;
    const signal = await new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, sig) => res(sig)));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(seen.get(pid) ?? []).some((e) => e.type === 'procexit'))
      await new Promise((res) => setTimeout(res, 10));
    const evs = seen.get(pid) ?? [];
    const hit = evs.find((e) => e.type !== 'procexit');
    const exit = evs.find((e) => e.type === 'procexit');
    if (hit && exit && signal === 'SIGKILL') out.push((exit.ts - hit.ts) / 1e6);
  }
  return out;
}

/**
 * Overhead, measured in alternation on one sensor so that load from elsewhere on this shared
 * machine hits both sides alike: enforcement off (vg_enf_cfg.enabled = 0, no cgroup program) and
 * on (policy for other names and ports, cgroup connect programs attached). Best of ROUNDS each.
 */
async function overhead(): Promise<{
  off: { exec: number; connect: number };
  on: { exec: number; connect: number };
  text: number;
}> {
  const maps = PolicyMaps.open();
  const entries: PolicyEntry[] = [
    {
      ruleId: 1,
      action: 'kill',
      policy: {
        kind: 'string',
        types: ['execve'],
        field: 'str0',
        values: ['/nonexistent/x'],
        uid: undefined,
      },
    },
    {
      ruleId: 2,
      action: 'deny',
      policy: {
        kind: 'net',
        hooks: ['connect'],
        addrs: ['127.0.0.2'],
        port: 9,
        proto: undefined,
        uid: undefined,
      },
    },
  ];
  // The costly exec checks too: the parent's exe path, a command-line prefix and a contains walk.
  const textEntries: PolicyEntry[] = [
    ...entries,
    ...(
      [
        ['pexe', 'exact', '/nonexistent/p'],
        ['args', 'prefix', '--nonexistent'],
        ['cmdline', 'contains', 'vg-nonexistent'],
      ] as const
    ).map(([field, match, v], i): PolicyEntry => ({
      ruleId: 3 + i,
      action: 'kill',
      policy: { kind: 'string', types: ['execve'], field, match, values: [v], uid: undefined },
    })),
  ];
  const sensor = await Sensor.start({
    types: new Set(['execve', 'connect']),
    onEvents: () => {},
    reuseMaps: maps.reuseMaps(),
  });
  const off = { exec: Infinity, connect: Infinity };
  const on = { exec: Infinity, connect: Infinity };
  let text = Infinity;
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const enabled of [false, true]) {
        maps.write(entries, enabled, process.pid);
        maps.attachNet(new Set(enabled ? ['connect'] : []), cgroup2Root()!);
        const side = enabled ? on : off;
        side.exec = Math.min(side.exec, execLoopUs());
        side.connect = Math.min(side.connect, connectLoopUs());
      }
      maps.write(textEntries, true, process.pid);
      text = Math.min(text, execLoopUs());
    }
  } finally {
    await sensor.stop();
    maps.close();
  }
  return { off, on, text };
}

say('kill latency');
const lat = await withAgent(true, async (seen) => ({
  readKill: await killLatency(seen, '/bin/cat', [secret]),
  execKill: await killLatency(seen, killed, ['x']),
  userKill: await killLatency(seen, slow, ['5']),
}));
say('overhead');
const ov = await overhead();
rmSync(dir, { recursive: true, force: true });

const fmt = (xs: number[]): string =>
  xs.length === 0
    ? 'n/a'
    : `median ${median(xs).toFixed(3)} ms, max ${Math.max(...xs).toFixed(3)} ms (${xs.length} runs)`;
console.log(`kill latency, syscall return -> process gone (kernel timestamps):`);
console.log(`  kernel, openat of a file:      ${fmt(lat.readKill)}`);
console.log(`  kernel, exec of a binary:      ${fmt(lat.execKill)}`);
console.log(`  user space (pidfd), exec:      ${fmt(lat.userKill)}`);
console.log(
  `exec (bash -> /bin/true):  enforcement off ${ov.off.exec.toFixed(1)} us, on ${ov.on.exec.toFixed(1)} us per exec`,
);
console.log(
  `exec with pexepath, args prefix and cmdline contains entries: ${ov.text.toFixed(1)} us per exec`,
);
console.log(
  `connect (TCP, loopback):   enforcement off ${ov.off.connect.toFixed(1)} us, on ${ov.on.connect.toFixed(1)} us per connect`,
);
