/**
 * Sigma's matching semantics (specification v2), each modifier on a converted rule evaluated
 * against events: a match and a near miss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exec, fires, load, sigmaDoc } from './support.js';

/** [name, detection, matching argv, near-miss argv] on CommandLine / Image of an exec. */
const CASES: [string, string, string[], string[]][] = [
  [
    'plain value: whole, any case',
    "    sel:\n        CommandLine: 'ID -U'\n    condition: sel",
    ['id', '-u'],
    ['id', '-un'],
  ],
  [
    'contains',
    "    sel:\n        CommandLine|contains: 'Secret'\n    condition: sel",
    ['cat', '/x/SECRETS'],
    ['cat', '/x/secr'],
  ],
  [
    'startswith',
    "    sel:\n        CommandLine|startswith: 'curl '\n    condition: sel",
    ['CURL', 'x'],
    ['xcurl', 'x'],
  ],
  [
    'endswith',
    "    sel:\n        CommandLine|endswith: '.SH'\n    condition: sel",
    ['bash', 'a.sh'],
    ['bash', 'a.shx'],
  ],
  [
    'cased',
    "    sel:\n        CommandLine|contains|cased: 'Secret'\n    condition: sel",
    ['cat', 'Secret'],
    ['cat', 'secret'],
  ],
  [
    'wildcard *',
    "    sel:\n        CommandLine: 'nc -e *sh'\n    condition: sel",
    ['nc', '-e', '/bin/bash'],
    ['nc', '-e', '/bin/bash2'],
  ],
  ['wildcard ?', "    sel:\n        CommandLine: 'vi?'\n    condition: sel", ['vim'], ['vi']],
  [
    'escaped \\*',
    "    sel:\n        CommandLine: 'echo \\*'\n    condition: sel",
    ['echo', '*'],
    ['echo', 'x'],
  ],
  [
    'list: any value',
    "    sel:\n        CommandLine|contains:\n            - 'aaa'\n            - 'bbb'\n    condition: sel",
    ['x', 'bbb'],
    ['x', 'ccc'],
  ],
  [
    'all',
    "    sel:\n        CommandLine|contains|all:\n            - 'aaa'\n            - 'bbb'\n    condition: sel",
    ['aaa', 'bbb'],
    ['aaa', 'x'],
  ],
  [
    're (case-sensitive, found anywhere)',
    "    sel:\n        CommandLine|re: 'ba[sz]h -[ic]'\n    condition: sel",
    ['/bin/bash', '-c', 'x'],
    ['/bin/BASH', '-c'],
  ],
  [
    're|i',
    "    sel:\n        CommandLine|re|i: 'ba[sz]h -[ic]'\n    condition: sel",
    ['/bin/BASH', '-C'],
    ['/bin/bas', '-c'],
  ],
  [
    'base64',
    "    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel",
    ['echo', 'd2hvYW1p'],
    ['echo', 'whoami'],
  ],
  [
    'base64offset',
    "    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel",
    ['echo', Buffer.from('xwhoami').toString('base64')],
    ['echo', 'whoami'],
  ],
  [
    'windash',
    "    sel:\n        CommandLine|windash|contains: ' -e '\n    condition: sel",
    ['nc', '/e', 'sh'],
    ['nc', 'e', 'sh'],
  ],
  [
    'exists',
    "    sel:\n        CurrentDirectory|exists: true\n        Image|endswith: '/id'\n    condition: sel",
    ['id'],
    ['idx'],
  ],
  [
    'gt',
    "    sel:\n        ProcessId|gt: 4000\n        Image|endswith: '/id'\n    condition: sel",
    ['id'],
    ['idx'],
  ],
  ['fieldref', '    sel:\n        CommandLine|fieldref: Image\n    condition: sel', ['/usr/bin/id'], ['id']],
  [
    'null',
    "    sel:\n        Image|endswith: '/id'\n        ParentCommandLine: null\n    condition: sel",
    ['id'],
    ['idx'],
  ],
];

for (const [name, detection, hit, miss] of CASES) {
  test(`sigma modifier: ${name}`, () => {
    const rs = load(sigmaDoc(detection));
    assert.equal(rs.info.skipped.length, 0, rs.info.skipped.map((s) => s.reason).join('\n'));
    const exe = (argv: string[]): string => (argv[0].startsWith('/') ? argv[0] : `/usr/bin/${argv[0]}`);
    const nullParent = name === 'null' ? { proc: { ancestors: [] } } : {};
    assert.ok(fires(rs, exec(exe(hit), hit, nullParent)), `${name}: ${hit.join(' ')} should match`);
    assert.ok(!fires(rs, exec(exe(miss), miss, nullParent)), `${name}: ${miss.join(' ')} should not match`);
  });
}

test('sigma condition: not, parentheses, 1 of, all of, them', () => {
  const rs = load(
    sigmaDoc(
      "    sel_a:\n        Image|endswith: '/curl'\n    sel_b:\n        CommandLine|contains: 'http'\n" +
        "    filter_x:\n        CommandLine|contains: 'localhost'\n" +
        '    condition: (all of sel_* and not 1 of filter_*) or 1 of them and sel_a and not sel_a',
    ),
  );
  assert.ok(fires(rs, exec('/usr/bin/curl', ['curl', 'http://x'])));
  assert.ok(!fires(rs, exec('/usr/bin/curl', ['curl', 'http://localhost'])));
  assert.ok(!fires(rs, exec('/usr/bin/wget', ['wget', 'http://x'])));
});

test('sigma keywords in an audit EXECVE search, and aN arguments', () => {
  const rs = load(
    sigmaDoc(
      "    sel:\n        type: EXECVE\n        a0: getcap\n        a1: '-r'\n    kw:\n        - 'TOKEN'\n    condition: sel and kw",
      'product: linux\n    service: auditd',
    ),
  );
  assert.equal(rs.info.skipped.length, 0);
  assert.ok(fires(rs, exec('/usr/sbin/getcap', ['getcap', '-r', '/token'])));
  assert.ok(!fires(rs, exec('/usr/sbin/getcap', ['getcap', '-x', '/token'])));
});

test('a rule naming programs by file name is indexed by it, any case, the whole name only', () => {
  const rs = load(
    sigmaDoc(
      "    sel:\n        Image|endswith:\n            - '/apt'\n            - '/apt-get'\n    condition: sel",
    ),
  );
  assert.deepEqual(
    [...(rs.info.rules[0].indexKey as { values: ReadonlySet<string> }).values],
    ['apt', 'apt-get'],
  );
  assert.ok(fires(rs, exec('/usr/bin/APT-GET', ['apt-get'])));
  assert.ok(fires(rs, exec('/usr/bin/apt', ['apt'])));
  assert.ok(!fires(rs, exec('/usr/bin/xapt', ['xapt'])));
  assert.ok(!fires(rs, exec('/usr/bin/apt/x', ['x'])));
});
