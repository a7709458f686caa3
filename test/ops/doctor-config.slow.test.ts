/**
 * `vigil doctor --config F` on a configuration `vigil run` would refuse: exit 2 and each error with
 * its file:line:col, whatever the kernel allows (the configuration is checked first, so this runs
 * as any user). A valid configuration: doctor-config.live.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runVigil, type VigilRun } from './cli.js';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-doctor-'));
  const files: Record<string, string> = {
    'yaml-syntax.yaml': 'outputs:\n  store:\n    path: [1\n',
    'bad-value.yaml': 'sensors:\n  ring_buffer_bytes: nope\n',
    'bad-rules.yaml': `rules:\n  paths: [${join(dir, 'rules.yaml')}]\n`,
    'rules.yaml':
      '- rule: x\n  desc: y\n  condition: evt.type = open and\n  output: z\n  priority: WARNING\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const doctor = (args: string[]): Promise<VigilRun> => runVigil(['doctor', ...args]);

describe('vigil doctor --config with an invalid configuration: exit 2', { concurrency: 2 }, () => {
  const cases: [string, (f: string) => RegExp][] = [
    ['yaml-syntax.yaml', (f) => new RegExp(`^vigil doctor: config: ${f}:4:1: YAML syntax`, 'm')],
    [
      'bad-value.yaml',
      (f) => new RegExp(`^vigil doctor: config: ${f}:2:22: sensors.ring_buffer_bytes: `, 'm'),
    ],
    ['bad-rules.yaml', () => new RegExp(`^vigil doctor: rules: ${dir}/rules.yaml:3:33: rule 'x': `, 'm')],
    ['missing.yaml', (f) => new RegExp(`^vigil doctor: config: .*${f}`, 'm')],
  ];
  for (const [name, expected] of cases) {
    test(name, async () => {
      const file = join(dir, name);
      const r = await doctor(['--config', file]);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, expected(file));
      assert.match(r.out, new RegExp(`vigil run would refuse the configuration ${file}: errors on stderr`));
    });
  }
  test('--json: the report says so too', async () => {
    const file = join(dir, 'bad-value.yaml');
    const r = await doctor(['--config', file, '--json']);
    assert.equal(r.code, 2, r.err);
    const { config } = JSON.parse(r.out) as { config: { file: string; valid: boolean; errors: string[] } };
    assert.equal(config.file, file);
    assert.equal(config.valid, false);
    assert.match(config.errors[0], /^config: .*:2:22: sensors.ring_buffer_bytes: /);
  });
});
