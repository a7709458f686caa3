/**
 * `vigil rules check` warns about a list item that looks like a list name but names no list
 * (Falco takes it as a literal: almost always a typo), with file:line:col and the item; the check
 * still passes. Quoted items, paths, numbers and the names of lists never warn.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { run as rulesCheck } from '../../src/cli/rules-check.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-list-refs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function check(yaml: string): Promise<{ code: number; warnings: string[]; file: string }> {
  const file = join(dir, `r${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const err: string[] = [];
  const code = await rulesCheck({ paths: [file], out: () => {}, err: (l) => err.push(l) });
  return { code, warnings: err.filter((l) => l.includes('looks like a list name')), file };
}

const rule = (condition: string): string =>
  `- rule: R\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: INFO\n`;

describe('unknown list names in list items', () => {
  it('warns with file:line:col in a rule, a macro and a list, and the check passes', async () => {
    const { code, warnings, file } = await check(
      '- list: shell_binaries\n  items: [bash, sh, no_such_list]\n' +
        '- macro: m\n  condition: proc.pname in (shell_binaries, other_binaries)\n' +
        rule('evt.type = execve and m and proc.name in (no_such_list, bash)'),
    );
    assert.equal(code, 0);
    const msg = (item: string): string =>
      `'${item}' looks like a list name, but no list is named so: it is taken as a literal value`;
    assert.deepEqual(warnings, [
      `warning: ${file}:2:21: list 'shell_binaries': ${msg('no_such_list')}`,
      `warning: ${file}:4:45: macro 'm': ${msg('other_binaries')}`,
      `warning: ${file}:7:56: rule 'R': ${msg('no_such_list')}`,
    ]);
  });

  it('names the list a typo is close to', async () => {
    const { warnings, file } = await check(
      '- list: shell_binaries\n  items: [bash]\n' +
        rule('evt.type = execve and proc.name in (shell_binaris)'),
    );
    assert.deepEqual(warnings, [
      `warning: ${file}:5:50: rule 'R': 'shell_binaris' looks like a list name, but no list is named so: ` +
        "did you mean 'shell_binaries'?",
    ]);
  });

  it('quoted items, paths, numbers, plain names and known lists do not warn', async () => {
    const { code, warnings } = await check(
      '- list: known_binaries\n  items: [bash, "quoted_list", \'"other_list"\', /usr/bin/a_list, 42, unix_chkpwd]\n' +
        rule(
          'evt.type = execve and proc.name in (known_binaries, "no_such_list", /bin/x_list, 22, sshd, update_engine)',
        ),
    );
    assert.equal(code, 0);
    assert.deepEqual(warnings, []);
  });
});
