/**
 * Kernel drops become "Events dropped" alerts carrying the count the kernel
 * counted, live: a 4 KiB ring, the JavaScript thread blocked while a C workload
 * makes 300,000 opens, so the ring overflows for real.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { DropWatch, selfCreds } from '../../src/agent/drop-watch.js';
import { Sensor } from '../../src/sensor/sensor.js';
import { workloadBinary } from '../../bench/workload.js';
import { requireLive } from '../support/live.js';

test('live: a 4 KiB ring overflows under a burst of opens; the alerts sum to the kernel count', async (t) => {
  if (!requireLive(t)) return;
  const bin = workloadBinary();
  const alerts: Alert[] = [];
  // The workload's opens that arrived: each of its 300,000 opens either arrives or is counted as dropped.
  let workloadPid = -1;
  let arrived = 0;
  const sensor = await Sensor.start({
    types: new Set(['openat']),
    ringBytes: 4096,
    onEvents: (events) => {
      for (const e of events) if (e.type === 'openat' && e.proc.pid === workloadPid) arrived++;
    },
  });
  const watch = new DropWatch({
    readDropped: () => sensor.stats().dropped,
    ringBytes: () => 4096,
    agentProcess: () => sensor.table.info(process.pid, selfCreds()),
    userName: (uid) => sensor.users.userName(uid),
    onAlert: (a) => alerts.push(a),
    hostname: 'h',
  });
  try {
    // spawnSync blocks this thread: the reader's queue fills, then the 4 KiB ring, then the kernel drops.
    const r = spawnSync(bin, ['open', '300000']);
    assert.equal(r.status, 0);
    workloadPid = r.pid ?? -1;
    watch.check();
    assert.equal(alerts.length, 1, 'the burst was not dropped in part: no drop alert');
    assert.ok((alerts[0].output_fields['vigil.dropped'] as number) > 0);
  } finally {
    const last = await sensor.stop();
    watch.check(last.dropped);
    const sum = alerts.reduce((n, a) => n + (a.output_fields['vigil.dropped'] as number), 0);
    assert.equal(sum, last.dropped, 'the alerts must carry exactly what the kernel counted');
    assert.equal(alerts.at(-1)?.output_fields['vigil.dropped_total'], last.dropped);
    assert.equal(last.records, last.kernelEvents, 'every record the kernel sent arrived');
    assert.ok(arrived < 300_000, `${arrived} of the burst's opens arrived: nothing was lost`);
    assert.ok(arrived + last.dropped >= 300_000, `${arrived} arrived + ${last.dropped} dropped < 300,000`);
  }
  const a = alerts[0];
  assert.equal(a.event.proc.pid, process.pid);
  assert.equal(a.event.user.name, 'root');
  assert.match(a.output, /ring buffer 4096 bytes/);
});
