/**
 * The `falco` HTTP format is Falco's own JSON output, byte for byte: checked against the shape of
 * Falco's documented json_output (a sample written here with our own values), and posted to a
 * real HTTP server the way Falco's http_output posts to falcosidekick.
 */
process.env.TZ = 'UTC'; // Falco prints `%evt.time` in local time: pin it for the expected bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { epochNs, falcoJson } from '../../src/outputs/formats/falco-json.js';
import { openOutputs } from '../../src/outputs/index.js';
import { makeAlert } from './support/alerts.js';
import { startReceiver } from './support/http-receiver.js';

/**
 * What Falco (json_output: true, every json_include_* at its default) writes for an alert: keys in
 * nlohmann::json's sorted order, `output` prefixed with `%evt.time: <priority>`, `evt.time` in ns
 * as a bare integer inside output_fields, tags sorted, `time` with nine fraction digits.
 */
const FALCO_SAMPLE =
  '{"hostname":"worker-3","output":"08:15:02.730419886: Notice Shell spawned (user=root shell=sh)",' +
  '"output_fields":{"evt.time":1764576902730419886,"proc.name":"sh","user.name":"root"},' +
  '"priority":"Notice","rule":"Shell in container","source":"syscall",' +
  '"tags":["T1059","container","shell"],"time":"2025-12-01T08:15:02.730419886Z"}';

const keysInOrder = (json: string): string[] => Object.keys(JSON.parse(json) as object);

test('falcoJson: the exact bytes Falco writes for the same alert', () => {
  const a = makeAlert(1, { tags: ['mitre_credential_access', 'filesystem', 'T1003'] });
  assert.equal(
    falcoJson(a),
    '{"hostname":"node-7",' +
      '"output":"21:00:00.001456789: Warning Sensitive file opened for reading (file=/etc/shadow seq=1 user=root)",' +
      '"output_fields":{"evt.num":1,"evt.time":1795467600001456789,"fd.name":"/etc/shadow",' +
      '"proc.name":"cat","user.name":"root"},"priority":"Warning","rule":"Read sensitive file untrusted",' +
      '"source":"syscall","tags":["T1003","filesystem","mitre_credential_access"],' +
      '"time":"2026-11-23T21:00:00.001456789Z"}',
  );
});

test("falcoJson has the shape of Falco's documented output: key order, prefix, evt.time, tags", () => {
  const ours = falcoJson(makeAlert(7, { priority: 'Critical', tags: ['b', 'a'] }));
  assert.deepEqual(keysInOrder(ours), keysInOrder(FALCO_SAMPLE));
  for (const doc of [FALCO_SAMPLE, ours]) {
    const p = JSON.parse(doc) as { output: string; priority: string; output_fields: object; tags: string[] };
    assert.match(p.output, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{9}: ${p.priority} `));
    const fields = Object.keys(p.output_fields);
    assert.deepEqual(fields, [...fields].sort());
    assert.ok(fields.includes('evt.time'));
    assert.deepEqual(p.tags, [...p.tags].sort());
    // evt.time is a bare integer of nanoseconds (19 digits), not a string or a rounded double.
    assert.match(doc, /"evt\.time":\d{19}[,}]/);
  }
  const time = (JSON.parse(ours) as { time: string }).time;
  assert.match(ours, new RegExp(`"evt\\.time":${epochNs(time)}[,}]`));
  assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test('epochNs keeps every nanosecond (beyond what a double holds)', () => {
  assert.equal(epochNs('2026-11-23T21:00:00.001456789Z'), 1795467600001456789n);
  assert.equal(epochNs('2026-11-23T21:00:00Z'), 1795467600000000000n);
  assert.equal(epochNs('2026-11-23T22:00:00.5+01:00'), 1795467600500000000n);
});

test("format falco: one POST per alert carrying Falco's bytes; a summary in the same shape", async () => {
  const rx = await startReceiver();
  const alerts = [makeAlert(1), makeAlert(2, { priority: 'Critical' }), makeAlert(3)];
  const out = await openOutputs(
    {
      store: { enabled: false },
      sinks: [{ type: 'http', format: 'falco', url: `${rx.url}/`, rate_limit: { max: 2, window_ms: 200 } }],
    },
    pino({ level: 'silent' }),
  );
  for (const a of alerts) out.submit(a);
  await rx.until((r) => r.length >= 3);
  await out.close();
  await rx.close();
  assert.deepEqual(
    rx.requests.slice(0, 2).map((r) => r.body),
    alerts.slice(0, 2).map(falcoJson),
  );
  for (const req of rx.requests) {
    assert.equal(req.url, '/');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(keysInOrder(req.body), keysInOrder(FALCO_SAMPLE));
  }
  const summary = JSON.parse(rx.requests[2].body) as {
    output: string;
    tags: string[];
    output_fields: object;
  };
  assert.match(
    summary.output,
    /^21:00:00\.003456789: Warning 1 more alert from rule "Read sensitive file untrusted"/,
  );
  assert.deepEqual(summary.tags, ['vigil_summary']);
  assert.deepEqual(Object.keys(summary.output_fields), ['evt.time', 'vigil.suppressed', 'vigil.window_ms']);
});
