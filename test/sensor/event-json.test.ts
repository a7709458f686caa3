/** src/event/json.ts: what `vigil record` writes, `vigil replay` reads back unchanged. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VigilEvent } from '../../src/event/types.js';
import { EventFileWriter, EventParseError, parseEventLine, readEvents } from '../../src/event/json.js';
import { Decoder } from '../../src/sensor/decode/decoder.js';
import { ProcessTable } from '../../src/sensor/process-table.js';
import { UserDb } from '../../src/sensor/users.js';
import { buildRecord, frame, ipv4Addr } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-json-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function decodedEvents(): VigilEvent[] {
  const users = new UserDb({ statIntervalMs: 0 });
  after(() => users.close());
  const table = new ProcessTable({ bootToEpochNs: 1.7e18, procRoot: mkdtempSync(join(dir, 'proc-')) });
  const dec = new Decoder({ table, users, bootToEpochNs: 1.7e18 });
  const out: VigilEvent[] = [];
  dec.decodeBatch(
    frame([
      buildRecord({
        type: 'execve',
        hdr: { pid: 5, tid: 5, ppid: 1, ts_ns: 123456789 },
        payload: { argc: 2 },
        strings: ['/usr/bin/cat', 'cat\0/etc/shadow', 'A=1', '/', `/docker/${'c'.repeat(64)}`],
      }),
      buildRecord({ type: 'openat', hdr: { pid: 5, tid: 5, ppid: 1, retval: 3 }, strings: ['/etc/shadow'] }),
      buildRecord({
        type: 'connect',
        hdr: { pid: 5, tid: 5, ppid: 1 },
        payload: { fd: 3, local: ipv4Addr('10.0.0.1', 1234), remote: ipv4Addr('10.0.0.2', 443) },
      }),
    ]),
    out,
  );
  return out;
}

/** JSON drops undefined-valued keys: compare what survives a round trip. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

test('record then read back: the same events', async () => {
  const events = decodedEvents();
  const file = join(dir, 'events.jsonl');
  const w = new EventFileWriter(file);
  w.write(events.slice(0, 1));
  w.write(events.slice(1));
  await w.close();
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3);
  const back: VigilEvent[] = [];
  for await (const ev of readEvents(file)) back.push(ev);
  assert.deepEqual(plain(back), plain(events));
  assert.equal(back[0].container?.id, 'c'.repeat(12));
});

test('a minimal hand-written event gets defaults; bad lines are reported with their number', async () => {
  const ev = parseEventLine('{"type":"openat","proc":{"pid":7,"exe":"/usr/bin/cat","args":["cat","x"]}}')!;
  assert.equal(ev.proc.name, 'cat');
  assert.equal(ev.proc.cmdline, 'cat x');
  assert.equal(ev.proc.tid, 7);
  assert.deepEqual(ev.proc.ancestors, []);
  assert.deepEqual(ev.args, {});
  assert.equal(ev.user.name, '<NA>');
  assert.equal(parseEventLine('   '), null);
  const file = join(dir, 'bad.jsonl');
  writeFileSync(file, '{"type":"openat","proc":{"pid":1}}\n\n{"type":"nope","proc":{"pid":1}}\n');
  await assert.rejects(
    async () => {
      for await (const _ of readEvents(file)) void _;
    },
    (err: unknown) =>
      err instanceof EventParseError && err.line === 3 && /unknown event type "nope"/.test(err.message),
  );
  assert.throws(() => parseEventLine('{"type":"openat"}', 4), /line 4: the event has no proc.pid/);
  assert.throws(() => parseEventLine('{oops', 2), /line 2: not JSON/);
});
