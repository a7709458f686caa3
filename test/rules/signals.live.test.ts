/**
 * Live: the signal rules fire on real kill calls and stay silent on their benign twins. The sensor
 * runs in this test process, so this process is "the agent" its events are compared with.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { AgentBpfObjects } from '../../src/sensor/agent-bpf-objects.js';
import { ruleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('signals');
after(() => rmSync(dir, { recursive: true, force: true }));

test('Agent tampering', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // SIGWINCH: ignored by default, so the test runner lives on; any signal but 0 is an attempt.
  await r.fires('Agent tampering', sh(`kill -WINCH ${process.pid}`), {
    'evt.type': 'kill',
    'evt.arg.sig': 'SIGWINCH',
    'evt.target.pid': process.pid,
    'proc.name': 'sh',
  });
  // kill -0 only asks whether the agent exists.
  await r.silent('Agent tampering', sh(`kill -0 ${process.pid}`));
});

/** Starts `prog` (a copy of sleep), waits until it runs under its own name, sends `signal`. */
const signalTool = (prog: string, name: string, signal: string): string[] =>
  sh(
    `${prog} 30 & p=$!; while [ "$(cat /proc/$p/comm)" != ${name} ]; do sleep 0.01; done; ` +
      `kill -${signal} $p; wait $p; true`,
  );

test('Security tool killed or stopped by a signal', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const auditd = toolCopy(dir, 'auditd', '/usr/bin/sleep');
  await r.fires('Security tool killed or stopped by a signal', signalTool(auditd, 'auditd', 'KILL'), {
    'evt.arg.sig': 'SIGKILL',
    'evt.target.name': 'auditd',
    'evt.target.exepath': auditd,
  });
  const worker = toolCopy(dir, 'worker', '/usr/bin/sleep');
  await r.silent('Security tool killed or stopped by a signal', signalTool(worker, 'worker', 'KILL'));
});

/** This process's map named `name` (the sensor's), by id: bpftool lists every map of the host. */
function ownMapId(name: string): number {
  const own = new AgentBpfObjects();
  own.scan();
  const mine = new Set(own.idsOf('map'));
  const maps = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as {
    id: number;
    name?: string;
  }[];
  const hit = maps.find((m) => m.name === name && mine.has(m.id));
  assert.ok(hit, `the sensor's ${name} map among this process's descriptors`);
  return hit.id;
}

/** The bytes of element `key` of map `id`, as bpftool's `key`/`value` arguments. */
function mapElement(id: number, key: number[]): string[] {
  const out = JSON.parse(
    execFileSync('bpftool', ['-j', 'map', 'lookup', 'id', String(id), 'key', ...key.map(String)], {
      encoding: 'utf8',
    }),
  ) as { value: string[] };
  return out.value.map((b) => String(parseInt(b, 16)));
}

test('Agent tampering: bpf(2) writes to the agent maps', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const id = ownMapId('vg_config');
  const key = [0, 0, 0, 0];
  // The same value written back: an update all the same, and the sensor keeps working.
  const value = mapElement(id, key);
  const a = await r.fires(
    'Agent tampering',
    ['bpftool', 'map', 'update', 'id', String(id), 'key', ...key.map(String), 'value', ...value],
    {
      'evt.type': 'bpf',
      'evt.arg.cmd': 'BPF_MAP_UPDATE_ELEM',
      'evt.arg.target_kind': 'map',
      'evt.arg.target_id': String(id),
      'evt.target.pid': process.pid,
      'proc.name': 'bpftool',
    },
  );
  assert.match(a.output, /bpf=BPF_MAP_UPDATE_ELEM bpf_object=map bpf_id=\d+ result=SUCCESS/);
  // Reading the agent's maps is not tampering; writing a map that is not the agent's is not either.
  await r.silent('Agent tampering', [
    'bpftool',
    'map',
    'lookup',
    'id',
    String(id),
    'key',
    ...key.map(String),
  ]);
  await r.silent('Agent tampering', ['bpftool', 'map', 'show', 'id', String(ownMapId('vg_events'))]);
  const pin = `/sys/fs/bpf/vigil-test-twin-${process.pid}`;
  execFileSync('bpftool', [
    'map',
    'create',
    pin,
    'type',
    'array',
    'key',
    '4',
    'value',
    '4',
    'entries',
    '1',
    'name',
    'vg_twin',
  ]);
  try {
    await r.silent('Agent tampering', [
      'bpftool',
      'map',
      'update',
      'pinned',
      pin,
      'key',
      '0',
      '0',
      '0',
      '0',
      'value',
      '1',
      '0',
      '0',
      '0',
    ]);
  } finally {
    rmSync(pin, { force: true });
  }
});
