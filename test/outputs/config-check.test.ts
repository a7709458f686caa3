/**
 * The `outputs:` section is checked when vigil.yaml is loaded: snake_case keys, each sink type's
 * own keys, values the sinks can use; every problem names the key with its line and column, and
 * `vigil run` refuses to start on them. Secret values never appear in a message.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { outputsProblems, sinkNames } from '../../src/outputs/config-check.js';

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'vigil.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-outputs-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a complete outputs section in snake_case loads, secrets expanded from ${ENV:}', () => {
  const c = parseConfig(
    yaml(
      'outputs:',
      '  store:',
      '    path: /var/lib/vigil/alerts.db',
      '    synchronous: full',
      '    retention: { max_age_days: 7, max_size_mb: 512, interval_ms: 60000 }',
      '  commit_batch: 500',
      '  close_timeout_ms: 2000',
      '  sinks:',
      '    - type: slack',
      '      webhook_url: ${ENV:VIGIL_SLACK_WEBHOOK}',
      '      min_priority: Warning',
      '      group_above: 3',
      '      batch: { max_size: 20, max_wait_ms: 2000 }',
      '      retry: { initial_ms: 500, max_ms: 30000, max_attempts: 0 }',
      '      rate_limit: { max: 10, window_ms: 300000 }',
      '      dedup_window_ms: 0',
      '      icon_emoji: ":rotating_light:"',
      '    - type: http',
      '      format: elastic-bulk',
      '      url: https://es.example.com:9200',
      '      api_key: ${ENV:VIGIL_ES_API_KEY}',
      '      headers:',
      '        X-Tenant: ${ENV:VIGIL_TENANT}',
      '      timeout_ms: 5000',
      '      queue_size: 1000',
    ),
    'vigil.yaml',
    {
      VIGIL_SLACK_WEBHOOK: 'https://hooks.slack.com/services/T1/B2/abcdefgh12345678',
      VIGIL_ES_API_KEY: 'a2V5OnNlY3JldA==',
      VIGIL_TENANT: 'blue',
    },
  );
  const [slack, http] = c.outputs.sinks ?? [];
  assert.equal(
    slack.type === 'slack' && slack.webhook_url,
    'https://hooks.slack.com/services/T1/B2/abcdefgh12345678',
  );
  assert.equal(http.type === 'http' && http.api_key, 'a2V5OnNlY3JldA==');
  assert.deepEqual(http.type === 'http' && http.headers, { 'X-Tenant': 'blue' });
  assert.equal(c.outputs.store?.retention?.max_size_mb, 512);
});

test('a camelCase key is unknown, says its snake_case spelling, and the required key is missing', () => {
  assert.deepEqual(
    problemsOf(
      yaml(
        'outputs:',
        '  sinks:',
        '    - type: slack',
        '      webhookUrl: https://hooks.slack.com/services/T/B/x',
      ),
    ),
    [
      'vigil.yaml:3:7: outputs.sinks[0].webhook_url: required, missing',
      'vigil.yaml:4:7: outputs.sinks[0].webhookUrl: unknown key (keys are snake_case: webhook_url); ' +
        'expected one of type, name, min_priority, batch, retry, rate_limit, dedup_window_ms, send_interval_ms, timeout_ms, ' +
        'queue_size, durable, webhook_url, group_above, username, icon_emoji',
    ],
  );
  assert.deepEqual(problemsOf(yaml('outputs:', '  commitBatch: 10')), [
    'vigil.yaml:2:3: outputs.commitBatch: unknown key (keys are snake_case: commit_batch); ' +
      'expected one of store, sinks, commit_batch, close_timeout_ms, alert_fields',
  ]);
});

test('the old { env: NAME } secret form is refused: secrets are strings, ${ENV:NAME} in the file', () => {
  assert.deepEqual(
    problemsOf(
      yaml(
        'outputs:',
        '  sinks:',
        '    - type: http',
        '      url: http://127.0.0.1:1/',
        '      token: { env: X }',
      ),
    ),
    ['vigil.yaml:5:14: outputs.sinks[0].token: expected string, got a mapping'],
  );
});

test('every problem at once, in file order, each naming its key', () => {
  assert.deepEqual(
    problemsOf(
      yaml(
        'outputs:',
        '  commit_batch: lots',
        '  store: { synchronous: sometimes }',
        '  sinks:',
        '    - type: pager',
        '    - type: stdout',
        '      min_priority: Loud',
        '    - type: syslog',
        '      host: siem.example.com',
        '      facility: local9',
        '    - type: http',
        '      url: http://127.0.0.1:1/',
        '      transform: "{ broken"',
        '    - type: email',
        '      host: smtp.example.com',
        '      from: vigil@example.com',
        '      to: []',
        '      batch: { max_size: 0 }',
        '    - type: file',
        '      name: same',
        '      path: /tmp/a.jsonl',
        '    - type: file',
        '      name: same',
        '      path: /tmp/b.jsonl',
      ),
    ).map((l) => l.replace(/(transform: not valid JSONata:).*/, '$1 …')),
    [
      'vigil.yaml:2:17: outputs.commit_batch: expected integer, got a string',
      'vigil.yaml:3:25: outputs.store.synchronous: expected one of normal, full, got "sometimes"',
      'vigil.yaml:5:13: outputs.sinks[0].type: expected one of stdout, file, slack, email, syslog, http, nats, got "pager"',
      'vigil.yaml:7:21: outputs.sinks[1].min_priority: unknown priority "Loud" ' +
        '(one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug)',
      'vigil.yaml:10:17: outputs.sinks[2].facility: unknown syslog facility "local9" (kern … local7, or 0–23)',
      'vigil.yaml:13:18: outputs.sinks[3].transform: not valid JSONata: …',
      'vigil.yaml:17:11: outputs.sinks[4].to: expected at least 1 entry',
      'vigil.yaml:18:26: outputs.sinks[4].batch.max_size: expected a number >= 1, got 0',
      'vigil.yaml:23:13: outputs.sinks[6].name: duplicate sink name "same"',
    ],
  );
});

test('a bad secret value is named by its key, never shown', () => {
  const secret = 'hooks.slack.com/services/T0001/B0002/abcdefgh12345678';
  const lines = problemsOf(
    yaml('outputs:', '  sinks:', '    - type: slack', '      webhook_url: ${ENV:HOOK}'),
    {
      HOOK: secret,
    },
  );
  assert.deepEqual(lines, [
    'vigil.yaml:4:20: outputs.sinks[0].webhook_url: expected a URL (http:// or https://)',
  ]);
  // An unset variable is reported once, as such (not again as an empty value).
  assert.deepEqual(
    problemsOf(yaml('outputs:', '  sinks:', '    - type: slack', '      webhook_url: ${ENV:HOOK}')),
    ['vigil.yaml:4:20: outputs.sinks[0].webhook_url: environment variable HOOK is not set'],
  );
});

test('openOutputs callers get the same check: outputsProblems on a plain object', () => {
  assert.deepEqual(outputsProblems({ sinks: [{ type: 'file' }], closeTimeoutMs: 1 }), [
    {
      pointer: '/closeTimeoutMs',
      message:
        'unknown key (keys are snake_case: close_timeout_ms); expected one of store, sinks, commit_batch, close_timeout_ms, alert_fields',
      isKey: true,
    },
    { pointer: '/sinks/0/path', message: 'required, missing' },
  ]);
});

test('webhook body: array or object, and only for format webhook; send_interval_ms a count', () => {
  assert.deepEqual(
    outputsProblems({
      sinks: [
        { type: 'http', url: 'https://h.example/', body: 'object', send_interval_ms: 500 },
        { type: 'http', url: 'https://h.example/', body: 'single' },
        { type: 'http', format: 'falco', url: 'https://h.example/', body: 'object' },
        { type: 'slack', webhook_url: 'https://h.example/', send_interval_ms: -1 },
      ],
    }),
    [
      { pointer: '/sinks/1/body', message: 'expected one of array, object, got "single"' },
      { pointer: '/sinks/2/body', message: 'only for format webhook or ocsf' },
      { pointer: '/sinks/3/send_interval_ms', message: 'expected a number >= 0, got -1' },
    ],
  );
});

test('sink names: the type by default, -2, -3 when taken; an explicit name taken is a duplicate', () => {
  assert.deepEqual(
    sinkNames([{ type: 'http' }, { type: 'http' }, { type: 'slack', name: 'http-3' }, { type: 'http' }]),
    ['http', 'http-2', 'http-3', 'http-4'],
  );
  assert.deepEqual(
    outputsProblems({
      sinks: [
        { type: 'file', path: '/tmp/x' },
        { type: 'file', name: 'file', path: '/tmp/y' },
      ],
    }),
    [{ pointer: '/sinks/1/name', message: 'duplicate sink name "file"' }],
  );
});

/** `vigil <args>` from the sources (tsx) or compiled, as a process. */
function vigil(args: string[]) {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = here.includes(join('dist', 'test'));
  const root = resolve(here, compiled ? '../../..' : '../..');
  const main = JSON.stringify(join(root, 'src/cli/main.ts'));
  const argv = compiled
    ? [join(root, 'bin/vigil.js'), ...args]
    : ['--import', 'tsx', '-e', `import(${main}).then((m) => m.main(${JSON.stringify(args)}))`];
  return spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

test('vigil run refuses to start on a bad outputs section, naming the key', () => {
  const file = join(dir, 'vigil.yaml');
  writeFileSync(file, yaml('outputs:', '  sinks:', '    - type: http', '      url: ftp://example.com/'), {
    mode: 0o644,
  });
  const r = vigil(['run', '--config', file]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    r.stderr,
    `vigil: ${file}:4:12: outputs.sinks[0].url: expected an http or https URL, got ftp:\n`,
  );
});

test('nats: nats or tls server URLs, one way to authenticate, a stream name NATS accepts', () => {
  const at = (sink: object) => outputsProblems({ sinks: [{ type: 'nats', ...sink }] });
  assert.deepEqual(at({ servers: ['nats://127.0.0.1:4222', 'tls://nats.example:4443'] }), []);
  assert.deepEqual(at({ servers: ['http://127.0.0.1:4222', 'nope'] }), [
    { pointer: '/sinks/0/servers/0', message: 'expected a nats or tls URL, got http:' },
    { pointer: '/sinks/0/servers/1', message: 'expected a URL (nats://HOST:PORT or tls://HOST:PORT)' },
  ]);
  assert.deepEqual(at({ servers: ['nats://h:1'], token: 's3cret-token', nkey_seed: 'SUAXXX' }), [
    { pointer: '/sinks/0/nkey_seed', message: 'one way to authenticate: token and nkey_seed given' },
  ]);
  assert.deepEqual(at({ servers: ['nats://h:1'], password: 'pw-secret', stream: 'a.b' }), [
    { pointer: '/sinks/0/password', message: 'needs user' },
    { pointer: '/sinks/0/stream', message: 'a stream name has no ".", "*", ">", "/", "\\" or whitespace' },
  ]);
  assert.deepEqual(at({ servers: [], replicas: 7, duplicate_window_ms: 1000 }), [
    { pointer: '/sinks/0/servers', message: 'expected at least 1 entry' },
    { pointer: '/sinks/0/replicas', message: 'expected a number <= 5, got 7' },
    { pointer: '/sinks/0/duplicate_window_ms', message: 'expected a number >= 120000, got 1000' },
  ]);
});

test('vigil run --nats refuses a URL that is not nats:// or tls://, without its credentials', () => {
  const r = vigil(['run', '--nats', 'http://agent:pw-9c1d2e3f@127.0.0.1:4222/']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, 'vigil: --nats http://127.0.0.1:4222: expected a nats or tls URL, got http:\n');
});
