/**
 * Kernel drops become "Events dropped" alerts carrying the count the kernel
 * counted: the arithmetic of successive checks (and a counter that restarts
 * when the probes reload). The real overflow: drop-watch.live.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { DropWatch, DROP_RULE } from '../../src/agent/drop-watch.js';

function watchOf(read: () => number, alerts: Alert[], ringBytes = 65536): DropWatch {
  return new DropWatch({
    readDropped: read,
    ringBytes: () => ringBytes,
    agentProcess: () => {
      throw new Error('not needed: dropAlert reads it only when there are drops');
    },
    onAlert: (a) => alerts.push(a),
    hostname: 'h',
  });
}

test('each check alerts once for the drops since the previous one; a restarted counter counts from 0', () => {
  let total = 0;
  const alerts: Alert[] = [];
  const w = new DropWatch({
    readDropped: () => total,
    ringBytes: () => 65536,
    agentProcess: () => ({ pid: 1, uid: 0, gid: 0, loginuid: -1 }) as never,
    userName: () => 'root',
    onAlert: (a) => alerts.push(a),
    hostname: 'h',
  });
  assert.equal(w.check(), null);
  total = 7;
  assert.equal(w.check()?.output_fields['vigil.dropped'], 7);
  assert.equal(w.check(), null);
  total = 10;
  const a = w.check();
  assert.equal(a?.output_fields['vigil.dropped'], 3);
  assert.equal(a?.output_fields['vigil.dropped_total'], 10);
  total = 2; // new probes after a reload
  assert.equal(w.check()?.output_fields['vigil.dropped'], 2);
  assert.equal(alerts.length, 3);
  assert.equal(a?.rule, DROP_RULE);
  assert.equal(a?.priority, 'Critical');
  assert.equal(a?.event.user.name, 'root');
  assert.match(a?.output ?? '', /lost 3 events .*10 since the probes started; ring buffer 65536 bytes/);
  assert.equal(watchOf(() => 0, []).check(), null);
});
