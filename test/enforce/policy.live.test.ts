/**
 * The policy maps on the real kernel: a reload replaces the policy by generation (no entry of the
 * previous one survives), and the allow-list, checked in the kernel by the program's inode,
 * overrides a kill a rule asks for.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExeAllowList } from '../../src/enforce/exe-identity.js';
import { PolicyMaps, type PolicyEntry } from '../../src/enforce/policy-maps.js';
import type { KernelPolicy } from '../../src/plan/enforcement.js';
import { Sensor } from '../../src/sensor/sensor.js';
import { requireLive } from '../support/live.js';

const execKill = (...paths: string[]): PolicyEntry => ({
  ruleId: 1,
  action: 'kill',
  policy: { kind: 'string', types: ['execve'], field: 'str0', values: paths, uid: undefined },
});

function runExit(
  cmd: string,
  args: string[],
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

test('a reload swaps generations: only the new policy is left', (t) => {
  if (!requireLive(t)) return;
  const maps = PolicyMaps.open();
  try {
    maps.write([execKill('/tmp/a'), execKill('/tmp/b')], false, process.pid);
    const first = maps.object.mapKeys('vg_enf_policy');
    assert.equal(first.length, 2);
    assert.ok(first.every((k) => k.readUInt32LE(0) === 1));
    maps.write([execKill('/tmp/c')], false, process.pid);
    const second = maps.object.mapKeys('vg_enf_policy');
    assert.equal(second.length, 1);
    assert.equal(second[0].readUInt32LE(0), 2);
    assert.equal(second[0].toString('utf8', 8, 8 + '/tmp/c'.length), '/tmp/c');
    const cfg = maps.object.mapLookup('vg_enf_cfg', new Uint8Array(4))!;
    assert.equal(cfg.readUInt32LE(0), 2);
    assert.equal(cfg.readUInt32LE(16), 0, 'no LSM hook has a deny entry');
    const deny = {
      kind: 'string',
      types: ['openat', 'unlinkat'],
      field: 'str0',
      values: ['/x'],
      uid: undefined,
    };
    maps.write([{ ruleId: 3, action: 'deny', policy: deny as KernelPolicy }], false, process.pid);
    const lsmHooks = maps.object.mapLookup('vg_enf_cfg', new Uint8Array(4))!.readUInt32LE(16);
    assert.equal(lsmHooks, 2 | 4, 'file_open and path_unlink (VG_ENF_LSM_OPEN | VG_ENF_LSM_UNLINK)');
  } finally {
    maps.close();
  }
});

test('the allow-list overrides a kill in the kernel; the same rule kills a copy not on it', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-enforce-allow-'));
  const tag = randomBytes(4).toString('hex');
  const allowed = join(dir, `allowed-${tag}`);
  const victim = join(dir, `victim-${tag}`);
  copyFileSync('/bin/echo', allowed);
  copyFileSync('/bin/echo', victim);
  execFileSync('chmod', ['755', allowed, victim]);
  const maps = PolicyMaps.open();
  let sensor: Sensor | undefined;
  try {
    const allow = ExeAllowList.resolve([allowed, join(dir, 'missing')]);
    assert.deepEqual(allow.missing, [join(dir, 'missing')]);
    maps.writeAllow(allow.identities, []);
    maps.write([execKill(allowed, victim)], true, process.pid);
    sensor = await Sensor.start({
      types: new Set(['execve']),
      onEvents: () => {},
      reuseMaps: maps.reuseMaps(),
    });
    assert.deepEqual(await runExit(allowed, ['hi']), { code: 0, signal: null, out: 'hi\n' });
    assert.deepEqual(await runExit(victim, ['hi']), { code: null, signal: 'SIGKILL', out: '' });
    assert.ok(maps.stats().kills >= 1);
  } finally {
    await sensor?.stop();
    maps.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
