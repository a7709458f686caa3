/**
 * Repeated tampering by one process and call is one alert at once plus one counted follow-up per
 * interval, never one alert per syscall. Unit; the live twin (strace on the agent) is in
 * test/live/self-protection.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { RepeatFold } from '../../src/agent/repeat-fold.js';

function alert(rule: string, pid: number, type: string, n = 0): Alert {
  return {
    uuid: `u${n}`,
    time: '',
    hostname: 'h',
    rule,
    priority: 'Critical',
    source: 'syscall',
    tags: [],
    output: `tampering by ${pid}`,
    output_fields: { 'proc.pid': pid },
    action: 'alert',
    event: { type, proc: { pid } } as never,
  };
}

test('the first alert passes, repeats are counted into one follow-up when the interval ends', () => {
  const out: Alert[] = [];
  const f = new RepeatFold({ rules: new Set(['T']), intervalMs: 60_000, emit: (a) => out.push(a) });
  try {
    assert.equal(f.admit(alert('T', 10, 'ptrace', 0)), true);
    for (let i = 1; i <= 8374; i++) assert.equal(f.admit(alert('T', 10, 'ptrace', i)), false);
    // Another kind from the same process, and another process: each alerts at once.
    assert.equal(f.admit(alert('T', 10, 'kill')), true);
    assert.equal(f.admit(alert('T', 11, 'ptrace')), true);
    // Other rules are never folded.
    for (let i = 0; i < 3; i++) assert.equal(f.admit(alert('Other', 10, 'ptrace')), true);
    f.flush();
    assert.equal(out.length, 1, 'one follow-up: only (10, ptrace) repeated');
    assert.equal(out[0].output_fields['vigil.repeats'], 8374);
    assert.equal(out[0].uuid === 'u8374', false, 'the follow-up is an alert of its own');
    assert.match(out[0].output, /\(repeated 8374 times since the previous alert, same process and call\)$/);
    assert.equal(out[0].event.proc.pid, 10);
  } finally {
    f.close();
  }
});

test('a key still repeating is counted again next interval; a quiet one alerts at once next time', () => {
  const out: Alert[] = [];
  const f = new RepeatFold({ rules: new Set(['T']), intervalMs: 60_000, emit: (a) => out.push(a) });
  try {
    f.admit(alert('T', 10, 'ptrace'));
    f.admit(alert('T', 10, 'ptrace'));
    f.flush();
    assert.equal(out.length, 1);
    assert.equal(f.admit(alert('T', 10, 'ptrace')), false, 'still within the tracer: counted');
    f.flush();
    assert.equal(out.length, 2);
    assert.equal(out[1].output_fields['vigil.repeats'], 1);
    f.flush(); // a quiet interval: the key is forgotten
    assert.equal(out.length, 2);
    assert.equal(f.admit(alert('T', 10, 'ptrace')), true, 'after a quiet interval: at once');
  } finally {
    f.close();
  }
});

test('keys are bounded: beyond maxKeys alerts pass unfolded; close() emits what is counted', () => {
  const out: Alert[] = [];
  const f = new RepeatFold({
    rules: new Set(['T']),
    intervalMs: 60_000,
    emit: (a) => out.push(a),
    maxKeys: 2,
  });
  assert.equal(f.admit(alert('T', 1, 'kill')), true);
  assert.equal(f.admit(alert('T', 2, 'kill')), true);
  assert.equal(f.admit(alert('T', 3, 'kill')), true);
  assert.equal(f.admit(alert('T', 3, 'kill')), true, 'no room to count pid 3: it passes');
  assert.equal(f.admit(alert('T', 1, 'kill')), false);
  f.close();
  assert.equal(out.length, 1);
  assert.equal(out[0].output_fields['vigil.repeats'], 1);
});

test('the interval timer emits the follow-up by itself', async () => {
  const out: Alert[] = [];
  const f = new RepeatFold({ rules: new Set(['T']), intervalMs: 50, emit: (a) => out.push(a) });
  try {
    f.admit(alert('T', 1, 'ptrace'));
    f.admit(alert('T', 1, 'ptrace'));
    f.admit(alert('T', 1, 'ptrace'));
    const deadline = Date.now() + 5000;
    while (out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(out.length, 1);
    assert.equal(out[0].output_fields['vigil.repeats'], 2);
  } finally {
    f.close();
  }
});
