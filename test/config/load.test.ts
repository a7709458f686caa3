import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseConfig,
  defaultConfig,
  loadConfig,
  resolveHostname,
  ConfigError,
} from '../../src/config/index.js';

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(text, 'vigil.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: every section filled, bundled rules, metrics on loopback', () => {
  const c = defaultConfig();
  assert.equal(c.metrics.listen, '127.0.0.1:9476');
  assert.equal(c.metrics.token, '');
  assert.equal(c.enforcement.enabled, false);
  assert.equal(c.sensors.ring_buffer_bytes, 16 * 1024 * 1024);
  assert.equal(c.logging.level, 'info');
  assert.equal(c.rules.paths.length, 1);
  assert.match(c.rules.paths[0], /\/rules$/);
  assert.deepEqual(c.outputs, {});
});

test('an empty file is all defaults', () => {
  const c = parseConfig('', 'vigil.yaml', {});
  assert.equal(c.sensors.process_table_size, 65536);
  assert.equal(c.engine.min_priority, 'Debug');
});

test('a value of the wrong type names the key, its line:col and what was expected', () => {
  const err = problemsOf('logging:\n  level: info\nmetrics:\n  listen: 9476\n');
  assert.equal(
    err.message,
    'vigil.yaml:4:11: metrics.listen: expected host:port, e.g. 127.0.0.1:9476 or [::1]:9476, got 9476',
  );
  assert.deepEqual(err.problems[0], {
    line: 4,
    col: 11,
    key: 'metrics.listen',
    message: 'expected host:port, e.g. 127.0.0.1:9476 or [::1]:9476, got 9476',
  });
});

test('an unknown key points at the key and lists the keys allowed there', () => {
  const err = problemsOf('metrics:\n  enabled: true\n  lisen: 127.0.0.1:1\n');
  assert.equal(
    err.message,
    'vigil.yaml:3:3: metrics.lisen: unknown key; expected one of enabled, listen, token',
  );
});

test('an enum value outside its set lists the allowed values', () => {
  const err = problemsOf('engine:\n  min_priority: Loud\n');
  assert.match(
    err.message,
    /^vigil\.yaml:2:17: engine\.min_priority: expected one of Emergency, Alert, .*Debug, got "Loud"$/,
  );
});

test('list items are named with their index; all problems are reported at once, in file order', () => {
  const err = problemsOf(
    'rules:\n  paths:\n    - /etc/vigil/rules\n    - 42\nsensors:\n  ancestor_depth: -1\n',
  );
  assert.deepEqual(
    err.problems.map((p) => `${p.line}:${p.col} ${p.key}`),
    ['4:7 rules.paths[1]', '6:19 sensors.ancestor_depth'],
  );
  assert.match(err.problems[1].message, /expected a number >= 0, got -1/);
});

test('ring buffer size must be a power of two', () => {
  const err = problemsOf('sensors:\n  ring_buffer_bytes: 100000\n');
  assert.equal(
    err.message,
    'vigil.yaml:2:22: sensors.ring_buffer_bytes: expected a power of two (the kernel requires it), got 100000',
  );
});

test('a section of the wrong shape says so', () => {
  const err = problemsOf('enforcement: yes\n');
  assert.equal(err.message, 'vigil.yaml:1:14: enforcement: expected a mapping, got "yes"');
});

test('YAML syntax errors carry line:col', () => {
  const err = problemsOf('metrics:\n  listen: [127.0.0.1\n');
  assert.equal(err.problems.length, 1);
  assert.match(err.message, /^vigil\.yaml:\d+:\d+: YAML syntax: /);
});

test('${ENV:NAME} fills secrets from the environment; unset is an error that does not leak values', () => {
  const c = parseConfig('metrics:\n  token: ${ENV:VG_TOKEN}\n', 'vigil.yaml', { VG_TOKEN: 's3cret' });
  assert.equal(c.metrics.token, 's3cret');
  const fallback = parseConfig('metrics:\n  token: ${ENV:VG_TOKEN:-}\n', 'vigil.yaml', {});
  assert.equal(fallback.metrics.token, '');
  const err = problemsOf(
    'outputs:\n  sinks:\n    - type: slack\n      webhook_url: https://hooks/${ENV:VG_SLACK}\n',
  );
  assert.equal(
    err.message,
    'vigil.yaml:4:20: outputs.sinks[0].webhook_url: environment variable VG_SLACK is not set',
  );
});

test('hostname: the config, else VIGIL_NODE_NAME, else the kernel host name', () => {
  const c = defaultConfig();
  assert.equal(resolveHostname(c, { VIGIL_NODE_NAME: 'node-7' }), 'node-7');
  assert.equal(resolveHostname(c, { NODE_NAME: 'node-7' }), hostname(), 'a generic NODE_NAME is not ours');
  c.hostname = 'edge-1';
  assert.equal(resolveHostname(c, { VIGIL_NODE_NAME: 'node-7' }), 'edge-1');
  assert.ok(resolveHostname(defaultConfig(), {}).length > 0);
});

test('loadConfig reads a file, resolves defaults and refuses a world-writable one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  try {
    const file = join(dir, 'vigil.yaml');
    writeFileSync(file, 'rules:\n  paths: [/srv/rules]\nlogging:\n  level: debug\n', { mode: 0o644 });
    const { config, file: read } = loadConfig(file, {});
    assert.equal(read, file);
    assert.deepEqual(config.rules.paths, ['/srv/rules']);
    assert.equal(config.logging.level, 'debug');
    chmodSync(file, 0o646);
    assert.throws(
      () => loadConfig(file, {}),
      /refusing config file .*vigil\.yaml: it is writable by every user \(mode 0646/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
