/**
 * Repeated alerts: repeated tampering by one process and call is one alert at once plus one counted
 * follow-up per interval, never one alert per syscall; any other rule's repeats by one actor pass up
 * to a burst, then fold the same way. Unit; the live twins are the strace on the agent
 * (test/live/self-protection.live.test.ts) and the exec flood (test/agent/regex-flood.live.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../../src/event/alert.js';
import { RepeatFold, type RepeatFoldOptions } from '../../src/agent/repeat-fold.js';

/** The agent's tamper fold: by process and call, burst 1. */
function tamperFold(emit: (a: Alert) => void, extra: Partial<RepeatFoldOptions> = {}): RepeatFold {
  return new RepeatFold({
    rules: new Set(['T']),
    keyOf: (a) => `${a.event.proc.pid}\0${a.event.type}`,
    same: 'same process and call',
    intervalMs: 60_000,
    emit,
    ...extra,
  });
}

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
  const f = tamperFold((a) => out.push(a));
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
  const f = tamperFold((a) => out.push(a));
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

test('keys are bounded: beyond maxKeys an alert is keyed by its rule; close() emits the counts', () => {
  const out: Alert[] = [];
  const f = tamperFold((a) => out.push(a), { maxKeys: 2 });
  assert.equal(f.admit(alert('T', 1, 'kill')), true);
  assert.equal(f.admit(alert('T', 2, 'kill')), true);
  // No room for pid 3 or 4: they share the rule's own key, so varying the key still folds.
  assert.equal(f.admit(alert('T', 3, 'kill')), true);
  assert.equal(f.admit(alert('T', 4, 'kill')), false, 'keyed by the rule alone: a repeat');
  assert.equal(f.admit(alert('T', 1, 'kill')), false);
  f.close();
  assert.equal(out.length, 2);
  assert.deepEqual(out.map((a) => a.output_fields['vigil.repeats']).sort(), [1, 1]);
});

test('the interval timer emits the follow-up by itself', async () => {
  const out: Alert[] = [];
  const f = tamperFold((a) => out.push(a), { intervalMs: 50 });
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

test('a burst per key passes; every rule but the excepted ones folds; the key is the actor', () => {
  const out: Alert[] = [];
  const f = new RepeatFold({
    except: new Set(['T']),
    keyOf: (a) => String(a.event.proc.pid),
    same: 'same actor',
    burst: 3,
    intervalMs: 60_000,
    emit: (a) => out.push(a),
  });
  try {
    for (let i = 0; i < 3; i++) assert.equal(f.admit(alert('Flood', 7, 'execve', i)), true);
    for (let i = 3; i < 1000; i++) assert.equal(f.admit(alert('Flood', 7, 'execve', i)), false);
    assert.equal(f.admit(alert('Flood', 8, 'execve')), true, 'another actor: its own burst');
    assert.equal(f.admit(alert('Other', 7, 'execve')), true, 'another rule: its own burst');
    for (let i = 0; i < 10; i++) assert.equal(f.admit(alert('T', 7, 'ptrace')), true, 'excepted');
    f.flush();
    assert.equal(out.length, 1);
    assert.equal(out[0].output_fields['vigil.repeats'], 997);
    assert.match(out[0].output, /\(repeated 997 times since the previous alert, same actor\)$/);
    // Still flooding: the burst stays spent, repeats go into the next follow-up.
    assert.equal(f.admit(alert('Flood', 7, 'execve')), false);
  } finally {
    f.close();
  }
});
