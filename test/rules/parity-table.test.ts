/**
 * docs/ruleset.md's Falco parity table names every rule of Falco's four rule files (read with
 * vigil's own rule-file reader), once, with its file, and gives for each a bundled vigil rule or
 * the reason there is none.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/config/paths.js';
import { readRuleFile } from '../../src/engine/rules/read.js';
import { SourceFile } from '../../src/yaml/source-file.js';
import {
  FALCO_DEPRECATED,
  FALCO_INCUBATING,
  FALCO_RULES,
  FALCO_SANDBOX,
  falcoRulesMissing,
} from '../support/falco.js';

interface Row {
  falco: string;
  files: string[];
  vigil: string;
  why: string;
}

/** The rows of the table under `## Falco parity`. */
function parityRows(): Row[] {
  const doc = readFileSync(join(packageRoot(), 'docs/ruleset.md'), 'utf8');
  const start = doc.indexOf('\n## Falco parity\n');
  assert.ok(start >= 0, 'docs/ruleset.md has a Falco parity section');
  const end = doc.indexOf('\n## ', start + 1);
  return doc
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Falco rule |') && !l.startsWith('| ---'))
    .map((l) => {
      const cells = l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      assert.equal(cells.length, 4, `four cells: ${l}`);
      return { falco: cells[0], files: cells[1].split(', '), vigil: cells[2], why: cells[3] };
    });
}

function ruleNames(path: string): string[] {
  const { items } = readRuleFile(new SourceFile(path, readFileSync(path, 'utf8')));
  return items.flatMap((i) => (i.kind === 'rule' ? [i.name] : []));
}

test("the parity table names every rule of Falco's four files, each with a rule or a reason", () => {
  const rows = parityRows();
  const byName = new Map(rows.map((r) => [r.falco, r]));
  assert.equal(byName.size, rows.length, 'each Falco rule has one row');
  const files: [string, string][] = [
    ['incubating', FALCO_INCUBATING],
    ['sandbox', FALCO_SANDBOX],
    ['deprecated', FALCO_DEPRECATED],
  ];
  if (falcoRulesMissing() === null) files.unshift(['stable', FALCO_RULES]);
  const expected = new Set<string>();
  for (const [label, path] of files) {
    for (const name of ruleNames(path)) {
      expected.add(name);
      const row = byName.get(name);
      assert.ok(row, `docs/ruleset.md's parity table lacks Falco's '${name}' (${label})`);
      assert.ok(row.files.includes(label), `'${name}' is in Falco's ${label} file`);
    }
  }
  for (const r of rows) {
    if (files.length === 4) assert.ok(expected.has(r.falco), `'${r.falco}' is no rule of Falco's files`);
    assert.ok(r.vigil.length > 0, `'${r.falco}': a vigil rule or none`);
    if (r.vigil.startsWith('none')) assert.ok(r.why.length > 0, `'${r.falco}': why no vigil rule`);
  }
});
