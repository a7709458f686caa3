/** The agent's load options: Falco's `priority`, `-D` (rule names), `-T` (tags), and trusted files. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadRuleset } from '../../src/engine/load-ruleset.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-loadopts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'r.yaml');
writeFileSync(
  file,
  ['Critical', 'Warning', 'Notice']
    .map(
      (p, i) => `- rule: R${i}
  desc: d
  condition: evt.type = openat and fd.name = /x${i}
  output: o
  priority: ${p}
  tags: [t${i}, common]
`,
    )
    .join('\n'),
  { mode: 0o644 },
);
const enabled = (opts: Parameters<typeof loadRuleset>[2]): string[] =>
  loadRuleset([file], 'first', opts).enabledRules.map((r) => r.name);

test('min priority, disabled rule names and tags load those rules disabled', () => {
  assert.deepEqual(enabled({}), ['R0', 'R1', 'R2']);
  assert.deepEqual(enabled({ minPriority: 'Warning' }), ['R0', 'R1']);
  assert.deepEqual(enabled({ disabledRules: ['R1'] }), ['R0', 'R2']);
  assert.deepEqual(enabled({ disabledTags: ['t2'] }), ['R0', 'R1']);
  assert.deepEqual(enabled({ disabledTags: ['common'] }), []);
  const rs = loadRuleset([file], 'first', { disabledTags: ['t0'] });
  assert.equal(rs.info.rules.length, 3, 'disabled rules stay loaded, as Falco keeps them');
});

test('trusted: a rule file others can write is refused', () => {
  assert.deepEqual(enabled({ trusted: true }), ['R0', 'R1', 'R2']);
  chmodSync(file, 0o666);
  try {
    assert.throws(() => loadRuleset([file], 'first', { trusted: true }), /rule file/);
    assert.doesNotThrow(() => loadRuleset([file], 'first'), 'rules check on a user file still works');
  } finally {
    chmodSync(file, 0o644);
  }
});
