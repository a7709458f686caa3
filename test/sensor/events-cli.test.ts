import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEventLine } from '../../src/cli/events.js';
import { parseTypes } from '../../src/sensor/stream.js';
import { parseEventLine } from '../../src/event/json.js';

test('vigil events text line: time, type, process, user, file, args, result', () => {
  const ev = parseEventLine(
    JSON.stringify({
      type: 'openat',
      ts: 1795484407338625800,
      ret: 3,
      proc: { pid: 42, exe: '/usr/bin/cat', args: ['cat', '/etc/shadow'], container_id: 'abcdefabcdef' },
      user: { name: 'root' },
      fd: { num: 3, type: 'file', name: '/etc/shadow' },
      args: { name: '/etc/shadow', flags: 'O_RDONLY', fd: 3, res: 3 },
    }),
  )!;
  assert.equal(
    formatEventLine(ev),
    '2026-11-24T01:40:07.338625792Z openat cat[42] user=root fd=/etc/shadow flags=O_RDONLY res=3 container=abcdefabcdef',
  );
});

test('--types: a set of event types; unknown names are refused', () => {
  assert.equal(parseTypes(undefined), undefined);
  assert.deepEqual([...parseTypes('openat, execve')!], ['openat', 'execve']);
  assert.throws(() => parseTypes('openat,bogus'), /unknown event type 'bogus'/);
});
