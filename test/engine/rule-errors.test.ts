/**
 * Malformed rule files: each is refused as a whole, with the exact
 * file:line:col, the item and the message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { formatDiagnostic, RulesetLoadError } from '../../src/engine/rules/diagnostics.js';

/** The formatted errors of loading these files (in order); fails if they load. */
function errorsOf(...files: string[][]): string[] {
  const sources = files.map((lines, i) => ({ path: `r${i + 1}.yaml`, text: lines.join('\n') + '\n' }));
  try {
    loadRulesetFromSources(sources);
  } catch (err) {
    if (err instanceof RulesetLoadError) return err.diagnostics.map(formatDiagnostic);
    throw err;
  }
  assert.fail('the rules loaded; an error was expected');
}

const firstError = (...files: string[][]): string => errorsOf(...files)[0];

const RULE = [
  '- rule: Shell in container',
  '  desc: a shell',
  '  condition: evt.type = execve and proc.name = bash',
  '  output: shell %proc.name',
  '  priority: WARNING',
];

describe('rule files: YAML and item shapes', () => {
  it('YAML syntax error', () => {
    assert.equal(
      firstError(['- rule: a', '  desc: [unclosed', '- macro: b']),
      'r1.yaml:3:1: YAML syntax error: deficient indentation',
    );
  });

  it('duplicated key in one item', () => {
    assert.equal(
      firstError([...RULE, '  priority: ERROR']),
      'r1.yaml:6:3: YAML syntax error: duplicated mapping key',
    );
  });

  it('top level is not a sequence', () => {
    assert.equal(
      firstError(['rule: a', 'desc: b']),
      'r1.yaml:1:1: Rules content is not yaml array of objects',
    );
  });

  it('an item that is not a mapping', () => {
    assert.equal(
      firstError(['- just a string']),
      'r1.yaml:1:3: Unexpected element type. Each element should be a yaml associative array.',
    );
  });

  it('unknown top-level item', () => {
    assert.equal(
      firstError(['- rulez: a', '  desc: b']),
      "r1.yaml:1:3: Unknown top level item (found 'rulez', 'desc'; expected rule, macro or list)",
    );
  });

  it('unknown key in a rule (a typo)', () => {
    assert.equal(
      firstError([...RULE, '  tagz: [a]']),
      "r1.yaml:6:3: rule 'Shell in container': Unknown key 'tagz' in a rule",
    );
  });

  it('unknown key in a macro', () => {
    assert.equal(
      firstError(['- macro: m', '  condition: evt.type = open', '  output: x']),
      "r1.yaml:3:3: macro 'm': Unknown key 'output' in a macro",
    );
  });

  it('unknown key in a list', () => {
    assert.equal(
      firstError(['- list: l', '  item: [a]']),
      "r1.yaml:2:3: list 'l': Unknown key 'item' in a list",
    );
  });

  it('rule name that is not a string', () => {
    assert.equal(firstError(['- rule: [a, b]', '  desc: x']), "r1.yaml:1:9: 'rule' must be a non-empty name");
  });

  it('missing condition', () => {
    assert.equal(
      firstError(['- rule: No condition', '  desc: d', '  output: o', '  priority: INFO']),
      "r1.yaml:1:3: rule 'No condition': Item has no mapping for key 'condition'",
    );
  });

  it('missing output', () => {
    assert.equal(
      firstError(['- rule: No output', '  desc: d', '  condition: evt.type=open', '  priority: INFO']),
      "r1.yaml:1:3: rule 'No output': Item has no mapping for key 'output'",
    );
  });

  it('empty condition', () => {
    assert.equal(
      firstError(['- rule: Empty', '  desc: d', '  condition: ""', '  output: o', '  priority: INFO']),
      "r1.yaml:3:14: rule 'Empty': Value for key 'condition' must be non-empty",
    );
  });

  it('condition that is a mapping', () => {
    assert.equal(
      firstError(['- rule: Map', '  desc: d', '  condition:', '    a: b', '  output: o', '  priority: INFO']),
      "r1.yaml:4:5: rule 'Map': Value for key 'condition' must be a string",
    );
  });

  it('bad priority', () => {
    assert.equal(
      firstError([...RULE.slice(0, 4), '  priority: SEVERE']),
      "r1.yaml:5:13: rule 'Shell in container': Invalid priority 'SEVERE': expected one of Emergency, Alert, " +
        'Critical, Error, Warning, Notice, Informational, Debug',
    );
  });

  it('enabled that is not a boolean', () => {
    assert.equal(
      firstError([...RULE, '  enabled: maybe']),
      "r1.yaml:6:12: rule 'Shell in container': Value for key 'enabled' must be a boolean (true or false)",
    );
  });

  it('tags that are not a sequence', () => {
    assert.equal(
      firstError([...RULE, '  tags: shell']),
      "r1.yaml:6:9: rule 'Shell in container': Value for key 'tags' must be a sequence",
    );
  });

  it('list items that are not a sequence', () => {
    assert.equal(
      firstError(['- list: shells', '  items: bash']),
      "r1.yaml:2:10: list 'shells': Value for key 'items' must be a sequence",
    );
  });

  it('bad action', () => {
    assert.equal(
      firstError([...RULE, '  action: stop']),
      "r1.yaml:6:11: rule 'Shell in container': Invalid action 'stop': expected kill or deny",
    );
  });

  it('required_engine_version that is not a version', () => {
    assert.equal(
      firstError(['- required_engine_version: latest']),
      'r1.yaml:1:28: required_engine_version must be a version like 0.57.0',
    );
  });

  it('required_plugin_versions entry without a version', () => {
    assert.equal(
      firstError(['- required_plugin_versions:', '    - name: container']),
      "r1.yaml:2:7: Item has no mapping for key 'version'",
    );
  });
});

describe('rule files: overrides, appends, redefinitions', () => {
  it('append to a rule that does not exist', () => {
    assert.equal(
      firstError(['- rule: Ghost', '  condition: and proc.name=sh', '  append: true']),
      "r1.yaml:1:3: rule 'Ghost': Rule has 'append' key but no rule by that name already exists",
    );
  });

  it('override of a rule that does not exist (in a later file)', () => {
    assert.equal(
      firstError(RULE, [
        '- rule: Ghost',
        '  condition: and proc.name=sh',
        '  override:',
        '    condition: append',
      ]),
      "r2.yaml:1:3: rule 'Ghost': Rule has an append override but no rule by that name already exists",
    );
  });

  it('replace override of a rule that does not exist', () => {
    assert.equal(
      firstError(['- rule: Ghost', '  priority: ERROR', '  override:', '    priority: replace']),
      "r1.yaml:1:3: rule 'Ghost': Rule has a replace override but no rule by that name already exists",
    );
  });

  it('append to a macro that does not exist', () => {
    assert.equal(
      firstError(['- macro: ghost', '  condition: or proc.name=sh', '  append: true']),
      "r1.yaml:1:3: macro 'ghost': Macro uses 'append' key but no macro by that name already exists",
    );
  });

  it('append to a list that does not exist', () => {
    assert.equal(
      firstError(['- list: ghosts', '  items: [a]', '  override:', '    items: append']),
      "r1.yaml:1:3: list 'ghosts': List uses 'append' key but no list by that name already exists",
    );
  });

  it('enabled-only item for a rule that does not exist', () => {
    assert.equal(
      firstError(['- rule: Ghost', '  enabled: false']),
      "r1.yaml:1:3: rule 'Ghost': Rule has 'enabled' key but no rule by that name already exists",
    );
  });

  it('override that is not a mapping', () => {
    assert.equal(
      firstError(['- rule: Shell in container', '  condition: x', '  override: append']),
      "r1.yaml:3:13: rule 'Shell in container': Value for key 'override' must be a map",
    );
  });

  it('a key that cannot be appended to', () => {
    assert.equal(
      firstError(RULE, [
        '- rule: Shell in container',
        '  priority: ERROR',
        '  override:',
        '    priority: append',
      ]),
      "r2.yaml:4:5: rule 'Shell in container': Key 'priority' cannot be appended to, use 'replace' instead",
    );
  });

  it('an override operation that does not exist', () => {
    assert.equal(
      firstError(RULE, [
        '- rule: Shell in container',
        '  condition: x',
        '  override:',
        '    condition: merge',
      ]),
      "r2.yaml:4:16: rule 'Shell in container': Invalid override operation for key 'condition': 'merge' " +
        '(allowed: append, replace)',
    );
  });

  it('override together with append: true', () => {
    assert.equal(
      firstError(RULE, [
        '- rule: Shell in container',
        '  condition: and proc.pname = sshd',
        '  append: true',
        '  override:',
        '    condition: append',
      ]),
      "r2.yaml:4:3: rule 'Shell in container': Keys 'override' and 'append: true' cannot be used together. " +
        "Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
    );
  });

  it('an override naming a key the item does not define', () => {
    assert.equal(
      firstError(RULE, [
        '- rule: Shell in container',
        '  condition: x',
        '  override:',
        '    output: replace',
      ]),
      "r2.yaml:4:5: rule 'Shell in container': An override for 'output' was specified but 'output' is not defined",
    );
  });

  it('a key not listed under override', () => {
    assert.equal(
      firstError(RULE, [
        '- rule: Shell in container',
        '  condition: and proc.pname = sshd',
        '  output: other',
        '  override:',
        '    condition: append',
      ]),
      "r2.yaml:3:3: rule 'Shell in container': Key 'output' is defined but not listed under 'override'",
    );
  });

  it('a rule redefined with a different source', () => {
    assert.equal(
      firstError(RULE, [...RULE, '  source: k8s_audit']),
      "r2.yaml:1:3: rule 'Shell in container': Rule has been re-defined with a different source",
    );
  });
});

describe('rule files: exceptions', () => {
  const withExceptions = (...lines: string[]): string[] => [...RULE, '  exceptions:', ...lines];

  it('exceptions that are not a sequence', () => {
    assert.equal(
      firstError([...RULE, '  exceptions: none']),
      "r1.yaml:6:15: rule 'Shell in container': Rule exceptions must be a sequence",
    );
  });

  it('an exception that is not a mapping', () => {
    assert.equal(
      firstError(withExceptions('    - proc.name')),
      "r1.yaml:7:7: rule 'Shell in container': Rule exception must be a map",
    );
  });

  it('an exception without a name', () => {
    assert.equal(
      firstError(withExceptions('    - fields: [proc.name]')),
      "r1.yaml:7:7: rule 'Shell in container': Item has no mapping for key 'name'",
    );
  });

  it('an exception without fields', () => {
    assert.equal(
      firstError(withExceptions('    - name: e', '      values: [[bash]]')),
      "r1.yaml:7:7: rule 'Shell in container': Item has no mapping for key 'fields'",
    );
  });

  it('an unknown key in an exception', () => {
    assert.equal(
      firstError(withExceptions('    - name: e', '      feilds: [proc.name]')),
      "r1.yaml:8:7: rule 'Shell in container': Unknown key 'feilds' in an exception",
    );
  });

  it('fields and comps of different lengths', () => {
    assert.equal(
      firstError(
        withExceptions('    - name: e', '      fields: [proc.name, proc.pname]', '      comps: [=]'),
      ),
      "r1.yaml:9:14: rule 'Shell in container': Fields and comps lists must have equal length",
    );
  });

  it('a comparison operator that does not exist', () => {
    assert.equal(
      firstError(withExceptions('    - name: e', '      fields: [proc.name]', '      comps: [equals]')),
      "r1.yaml:9:15: rule 'Shell in container': 'equals' is not a supported comparison operator",
    );
  });

  it('a single field with a comparison that takes no list', () => {
    assert.equal(
      firstError(
        withExceptions('    - name: e', '      fields: proc.name', '      comps: =', '      values: [a]'),
      ),
      "r1.yaml:9:14: rule 'Shell in container': When fields is a single value, comps must be one of (in, pmatch, intersects)",
    );
  });

  it('a values row of the wrong length', () => {
    assert.equal(
      firstError(
        withExceptions(
          '    - name: e',
          '      fields: [proc.name, proc.pname]',
          '      values:',
          '        - [bash]',
        ),
      ),
      "r1.yaml:10:11: rule 'Shell in container': Fields and values lists must have equal length",
    );
  });

  it('an unknown field in an exception, pointed at where it is written', () => {
    assert.equal(
      firstError(withExceptions('    - name: e', '      fields: [proc.nmae]', '      values: [[bash]]')),
      "r1.yaml:8:16: rule 'Shell in container': unknown field 'proc.nmae'",
    );
  });
});

describe('rule files: condition and output errors, mapped into the YAML scalar', () => {
  const rule = (condition: string[], output = 'o'): string[] => [
    '- rule: R',
    '  desc: d',
    ...condition,
    `  output: ${output}`,
    '  priority: INFO',
  ];

  it('in a plain scalar', () => {
    assert.equal(
      firstError(rule(['  condition: evt.type = open and proc.nam = cat'])),
      "r1.yaml:3:34: rule 'R': unknown field 'proc.nam'",
    );
  });

  it('in a double-quoted scalar with escapes before the error', () => {
    assert.equal(
      firstError(rule(['  condition: "proc.name = \\"a b\\" and fd.nme = x"'])),
      "r1.yaml:3:39: rule 'R': unknown field 'fd.nme'",
    );
  });

  it("in a single-quoted scalar with '' before the error", () => {
    assert.equal(
      firstError(rule(["  condition: 'proc.name = ''a b'' and fd.nme = x'"])),
      "r1.yaml:3:39: rule 'R': unknown field 'fd.nme'",
    );
  });

  it('in a folded block scalar, on its third line', () => {
    assert.equal(
      firstError(
        rule(['  condition: >', '    evt.type = open', '    and proc.name = cat', '    and fd.nme = x']),
      ),
      "r1.yaml:6:9: rule 'R': unknown field 'fd.nme'",
    );
  });

  it('in a literal block scalar', () => {
    assert.equal(
      firstError(rule(['  condition: |', '    evt.type = open', '      and fd.nme = x'])),
      "r1.yaml:5:11: rule 'R': unknown field 'fd.nme'",
    );
  });

  it('in a multi-line plain scalar', () => {
    assert.equal(
      firstError(rule(['  condition: evt.type = open', '    and fd.nme = x'])),
      "r1.yaml:4:9: rule 'R': unknown field 'fd.nme'",
    );
  });

  it('an unknown macro in a rule', () => {
    assert.equal(
      firstError(rule(['  condition: evt.type = open and not trusted_proc'])),
      "r1.yaml:3:38: rule 'R': undefined macro 'trusted_proc'",
    );
  });

  it('a syntax error inside a macro is reported in the macro', () => {
    assert.deepEqual(errorsOf(['- macro: m', '  condition: (proc.name = a'], rule(['  condition: m'])), [
      "r1.yaml:2:14: macro 'm': unbalanced parenthesis",
    ]);
  });

  it('a field error inside a macro is reported where the macro says it', () => {
    assert.equal(
      firstError(['- macro: m', '  condition: proc.nam = a'], rule(['  condition: evt.type = open and m'])),
      "r1.yaml:2:14: macro 'm': unknown field 'proc.nam'",
    );
  });

  it('an error in an appended condition points into the appending file', () => {
    assert.equal(
      firstError(rule(['  condition: evt.type = open']), [
        '- rule: R',
        '  condition: and fd.nme = x',
        '  override:',
        '    condition: append',
      ]),
      "r2.yaml:2:18: rule 'R': unknown field 'fd.nme'",
    );
  });

  it('a macro cycle', () => {
    assert.equal(
      firstError(
        ['- macro: a', '  condition: b', '- macro: b', '  condition: a'],
        rule(['  condition: evt.type = open and a']),
      ),
      "r1.yaml:4:14: macro 'b': macro cycle: a -> b -> a",
    );
  });

  it('a 10,000-deep macro chain: refused at the reference, not a stack overflow', () => {
    const chain: string[] = [];
    for (let i = 0; i < 10_000; i++)
      chain.push(`- macro: m${i}`, `  condition: ${i === 0 ? 'evt.type = open' : `m${i - 1}`}`);
    assert.equal(
      firstError(chain, rule(['  condition: m9999'])),
      "r1.yaml:514:14: macro 'm256': condition nested deeper than 256 levels with its macros inlined (through macro 'm255')",
    );
  });

  it('a rule over a deep but bounded macro chain loads', () => {
    const chain: string[] = [];
    for (let i = 0; i < 200; i++)
      chain.push(`- macro: m${i}`, `  condition: ${i === 0 ? 'evt.type = open' : `m${i - 1}`}`);
    assert.doesNotThrow(() =>
      loadRulesetFromSources([
        { path: 'r1.yaml', text: [...chain, ...rule(['  condition: m199'])].join('\n') + '\n' },
      ]),
    );
  });

  it('an output template naming an unknown field', () => {
    assert.equal(
      firstError(rule(['  condition: evt.type = open'], 'opened %fd.nme by %proc.name')),
      "r1.yaml:4:18: rule 'R': invalid formatting token %fd.nme",
    );
  });

  it('an output template ending with %', () => {
    assert.equal(
      firstError(rule(['  condition: evt.type = open'], '"100%"')),
      "r1.yaml:4:15: rule 'R': invalid formatting syntax: formatting cannot end with a %",
    );
  });

  it('every broken rule is reported, not only the first', () => {
    assert.deepEqual(
      errorsOf([
        ...rule(['  condition: proc.nam = a']),
        ...rule(['  condition: fd.nme = b']).map((l) => l.replace('rule: R', 'rule: S')),
      ]),
      ["r1.yaml:3:14: rule 'R': unknown field 'proc.nam'", "r1.yaml:8:14: rule 'S': unknown field 'fd.nme'"],
    );
  });
});
