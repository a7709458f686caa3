/**
 * Bounds on every YAML document vigil reads (rule files and the config): an
 * alias bomb, deep nesting, too many aliases or an oversized file are refused
 * at once with file:line:col, never run the agent out of memory or stack.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { formatDiagnostic, RulesetLoadError } from '../../src/engine/rules/diagnostics.js';
import { YAML_LIMITS } from '../../src/yaml/yaml-tree.js';

/** Nine levels of nine aliases each: 9^9 leaves once expanded, 72 aliases in the text. */
function aliasBomb(): string[] {
  const lines = ['- list: l0', '  items: &l0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    lines.push(
      `- list: l${i}`,
      `  items: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  }
  return lines;
}

function ruleErrors(text: string): string[] {
  try {
    loadRulesetFromSources([{ path: 'r.yaml', text }]);
  } catch (err) {
    if (err instanceof RulesetLoadError) return err.diagnostics.map(formatDiagnostic);
    throw err;
  }
  assert.fail('the rules loaded; an error was expected');
}

function configError(text: string): string {
  try {
    parseConfig(text, 'vigil.yaml', {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('the config loaded; an error was expected');
}

test('an alias bomb in a rule file is refused at the alias that crosses the bound', () => {
  const [first] = ruleErrors(aliasBomb().join('\n') + '\n');
  assert.match(first, /^r\.yaml:12:\d+: YAML syntax error: aliases expand to more than 100000 nodes/);
});

test('an alias bomb in the config file is refused too', () => {
  const bomb = ['x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `x${i}: &${'a'.repeat(i + 1)} [${Array(9)
        .fill(`*${'a'.repeat(i)}`)
        .join(', ')}]`,
    );
  const message = configError(bomb.join('\n') + '\n');
  assert.match(message, /^vigil\.yaml:6:\d+: .*aliases expand to more than 100000 nodes/);
});

test('a few aliases within the bounds load', () => {
  const text = [
    '- list: base',
    '  items: &shells [bash, sh]',
    '- list: more',
    '  items: *shells',
    '- rule: R',
    '  desc: d',
    '  condition: evt.type = execve and proc.name in (more)',
    '  output: o',
    '  priority: WARNING',
  ].join('\n');
  assert.doesNotThrow(() => loadRulesetFromSources([{ path: 'r.yaml', text }]));
});

test('nesting deeper than the bound is refused with its place', () => {
  const depth = YAML_LIMITS.maxDepth + 1;
  const text = `- rule: R\n  desc: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
  const [first] = ruleErrors(text);
  assert.match(first, /^r\.yaml:2:\d+: YAML syntax error: .*depth/i);
});

test('too many aliases are refused', () => {
  const lines = ['- list: a', '  items: &a [x]'];
  for (let i = 0; i <= YAML_LIMITS.maxAliases; i++) lines.push(`- list: b${i}`, '  items: *a');
  const [first] = ruleErrors(lines.join('\n') + '\n');
  assert.match(first, /^r\.yaml:\d+:\d+: YAML syntax error: .*alias/i);
});

test('a file larger than the bound is refused before it is parsed', () => {
  const text = '# ' + 'x'.repeat(YAML_LIMITS.maxChars) + '\n';
  const [first] = ruleErrors(text);
  assert.match(first, /^r\.yaml:1:1: YAML syntax error: file larger than 16 MiB/);
});
