/**
 * `vigil doctor --config F` with a configuration that is fine, on the real kernel: exit 0 as
 * before, no configuration error (live: the doctor loads its probe programs).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireLive } from '../support/live.js';
import { runVigil } from './cli.js';

let dir: string;
let file: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-doctor-live-'));
  file = join(dir, 'vigil.yaml');
  writeFileSync(
    join(dir, 'rules.yaml'),
    '- rule: x\n  desc: y\n  condition: evt.type = openat\n  output: z\n  priority: WARNING\n',
    { mode: 0o600 },
  );
  writeFileSync(
    file,
    `sensors:\n  ring_buffer_bytes: 1048576\nrules:\n  paths: [${join(dir, 'rules.yaml')}]\n`,
    { mode: 0o600 },
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('vigil doctor --config with a valid configuration: exit 0, its rules listed', async (t) => {
  if (!requireLive(t)) return;
  const r = await runVigil(['doctor', '--config', file]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /^vigil can run here; enforcement: /m);
  assert.match(r.out, new RegExp(`probes for the rules in .*${dir}/rules.yaml`));
  const json = await runVigil(['doctor', '--config', file, '--json']);
  assert.equal(json.code, 0, json.err);
  assert.deepEqual((JSON.parse(json.out) as { config: unknown }).config, { file, valid: true, errors: [] });
});
