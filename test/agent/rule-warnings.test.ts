/**
 * `vigil run` logs each rule-load warning (src/agent/rule-warnings.ts) with the text `vigil rules
 * check` prints, file:line:col and the rule's name, as structured fields of one log line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import pino from 'pino';
import { logRuleWarnings } from '../../src/agent/rule-warnings.js';
import { run as rulesCheck } from '../../src/cli/rules-check.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-rule-warnings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Three warnings: a typo of a list name in a macro and in a rule, and the list left unused. */
const WARNING_RULES =
  '- list: shell_binaries\n  items: [bash, sh]\n' +
  '- macro: m\n  condition: proc.name in (shell_binarie)\n' +
  '- rule: Warned rule\n  desc: d\n  condition: evt.type = execve and m and proc.pname in (no_such_binaries)\n' +
  '  output: o\n  priority: INFO\n';

test('each warning is one log line with the text rules check prints, where, and the rule', async () => {
  const file = join(dir, 'warned.yaml');
  writeFileSync(file, WARNING_RULES);
  const printed: string[] = [];
  assert.equal(await rulesCheck({ paths: [file], out: () => {}, err: (l) => printed.push(l) }), 0);
  assert.equal(printed.length, 3, printed.join('\n'));

  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  logRuleWarnings(pino({ level: 'info' }, sink), loadRuleset([file]));
  assert.deepEqual(
    lines.map((l) => l.msg),
    printed,
  );
  assert.deepEqual(
    lines.map((l) => [l.level, l.where, l.item, l.rule]),
    [
      [40, `${file}:4:28`, "macro 'm'", undefined],
      [40, `${file}:7:57`, "rule 'Warned rule'", 'Warned rule'],
      [40, `${file}:1:3`, "list 'shell_binaries'", undefined],
    ],
  );
});
