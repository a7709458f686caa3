/**
 * The socket prefilter on the real kernel, with the bundled rules' plan: a TCP socket is dropped
 * in enter_socket, a raw and a packet socket are delivered; a reload swaps the plan.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { VigilEvent } from '../../src/event/types.js';
import { bundledRulesDir } from '../../src/config/index.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import { deriveSocketFilter } from '../../src/plan/socket-filter.js';
import { NO_SOCKET_FILTER } from '../../src/sensor/socket-filter-plan.js';
import { Sensor } from '../../src/sensor/sensor.js';
import { requireLive } from '../support/live.js';

const SOCKETS = [
  'import socket',
  'socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()',
  'socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()',
  'socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM).close()',
].join('\n');

/** Runs the Python above and waits until the sensor delivered its exit; its sockets' types. */
async function socketsOf(events: VigilEvent[]): Promise<string[]> {
  const r = spawnSync('python3', ['-c', SOCKETS], { stdio: 'ignore' });
  assert.equal(r.status, 0);
  const deadline = Date.now() + 10_000;
  while (!events.some((e) => e.type === 'procexit' && e.proc.pid === r.pid) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.ok(Date.now() < deadline, 'the python process exit was delivered');
  return events
    .filter((e) => e.type === 'socket' && e.proc.pid === r.pid)
    .map((e) => `${e.args.domain} ${String(e.args.type).split('|')[0]}`);
}

test('live: the bundled rules drop a TCP socket in the kernel, not raw and packet ones', async (t) => {
  if (!requireLive(t)) return;
  const plan = deriveSocketFilter(loadRuleset([bundledRulesDir()]).enabledRules);
  assert.equal(plan.on, true, plan.off ?? '');
  const events: VigilEvent[] = [];
  const sensor = await Sensor.start({
    types: new Set(['socket', 'procexit']),
    socketFilter: plan,
    onEvents: (batch) => events.push(...batch),
  });
  try {
    assert.deepEqual(await socketsOf(events), ['AF_INET SOCK_RAW', 'AF_PACKET SOCK_DGRAM']);
    // Reload: the filter off delivers every socket; on again, it drops the TCP one again. With the
    // filter off, python's own AF_UNIX sockets (name-service lookups on some hosts) come too.
    sensor.setSocketFilter(NO_SOCKET_FILTER);
    const unfiltered = await socketsOf(events);
    assert.deepEqual(
      unfiltered.filter((s) => !s.startsWith('AF_UNIX ')),
      ['AF_INET SOCK_STREAM', 'AF_INET SOCK_RAW', 'AF_PACKET SOCK_DGRAM'],
    );
    sensor.setSocketFilter(plan);
    assert.deepEqual(await socketsOf(events), ['AF_INET SOCK_RAW', 'AF_PACKET SOCK_DGRAM']);
  } finally {
    await sensor.stop(false);
  }
});
