/**
 * Turns recorded live rule runs (VIGIL_RECORD_RULE_CASES=<dir>, see support.ts) into the replay test
 * cases beside the rules: rules/NN-tactic.tests.yaml, one attack and one benign twin per rule, each a
 * real kernel event trimmed to what the rules read, expecting exactly the alerts it raised live.
 *
 *   mkdir -p /tmp/cases && VIGIL_RECORD_RULE_CASES=/tmp/cases node --import tsx --test test/rules/*.test.ts
 *   node --import tsx test/rules/write-cases.ts /tmp/cases/cases.jsonl && npx prettier --write rules
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { buildAlert } from '../../src/agent/build-alert.js';
import type { VigilEvent } from '../../src/event/types.js';
import { bundledRules } from './support.js';

/** Environment variables the bundled rules read; others are left out of the cases. */
const ENV_KEYS = new Set([
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'LD_AUDIT',
  'GLIBC_TUNABLES',
  'HISTFILE',
  'HISTSIZE',
  'HISTFILESIZE',
  'GCONV_PATH',
  'CHARSET',
  'LD_TRACE_LOADED_OBJECTS',
]);

function trim(ev: VigilEvent): Record<string, unknown> {
  const p = ev.proc;
  const out: Record<string, unknown> = {
    type: ev.type,
    ret: ev.ret,
    proc: {
      pid: p.pid,
      ppid: p.ppid,
      uid: p.uid,
      euid: p.euid,
      name: p.name,
      comm: p.comm,
      exe: p.exe,
      args: p.args,
      cmdline: p.cmdline,
      cwd: p.cwd,
      env: p.env.filter((e) => ENV_KEYS.has(e.slice(0, e.indexOf('=')))),
      tty: p.tty,
      cap_effective: p.cap_effective,
      exe_from_memfd: p.exe_from_memfd,
      exe_upper_layer: p.exe_upper_layer,
      container_id: p.container_id,
      cgroup: p.cgroup,
      ancestors: p.ancestors
        .slice(0, 3)
        .map((a) => ({ pid: a.pid, exe: a.exe, name: a.name, cmdline: a.cmdline })),
    },
    user: ev.user,
    group: ev.group,
    args: ev.args,
    rawargs: ev.rawargs,
  };
  if (ev.fd) out.fd = ev.fd;
  if (ev.fd2) out.fd2 = ev.fd2;
  if (ev.container) out.container = ev.container;
  if (ev.target) out.target = ev.target;
  return out;
}

interface Recorded {
  rule: string;
  kind: 'attack' | 'benign';
  event: VigilEvent;
  alerts: string[];
}

const rules = bundledRules();
const fileOf = new Map(rules.info.rules.map((r) => [r.name, r.file]));
const byName = new Map(rules.info.rules.map((r) => [r.name, r]));
const recorded = readFileSync(process.argv[2], 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as Recorded);

// The last recording of each (rule, kind) wins; files keep the rules' order.
const cases = new Map<string, Recorded>();
for (const r of recorded) cases.set(`${r.rule}\0${r.kind}`, r);
const perFile = new Map<string, unknown[]>();
for (const rule of rules.info.rules) {
  for (const kind of ['attack', 'benign'] as const) {
    const c = cases.get(`${rule.name}\0${kind}`);
    if (!c) continue;
    const file = fileOf.get(c.rule)!.replace(/\.yaml$/, '.tests.yaml');
    const event = trim(c.event);
    const alerts = c.alerts.map((name) => {
      if (name !== c.rule) return { rule: name };
      return { rule: name, output: buildAlert(byName.get(name)!, c.event).output };
    });
    const list = perFile.get(file) ?? [];
    list.push({
      test: `${c.rule}: ${kind === 'attack' ? 'live attack' : 'live benign twin'}`,
      event,
      alerts,
    });
    perFile.set(file, list);
  }
}
for (const [file, list] of perFile) {
  const header =
    '# Replay cases for the rules beside this file: real kernel events recorded by the live rule tests\n' +
    '# (test/rules/*.test.ts), trimmed, with exactly the alerts they raised. Regenerate with\n' +
    '# test/rules/write-cases.ts; run with `vigil rules test rules/`.\n';
  writeFileSync(file, header + yaml.dump(list, { lineWidth: 110, noRefs: true }));
  console.log(`${file}: ${list.length} cases`);
}
