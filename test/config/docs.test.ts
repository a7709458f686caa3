/**
 * docs/config.md stays true: its "every key" block is a valid vigil.yaml whose
 * values are exactly the defaults, and it names every key of the schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, defaultConfig, packageRoot } from '../../src/config/index.js';
import { configSchema } from '../../src/config/schema.js';

const doc = readFileSync(join(packageRoot(), 'docs', 'config.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Every key, with its default'));
const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

function keyPaths(node: SchemaNode, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([k, child]) => [
    `${prefix}${k}`,
    ...keyPaths(child, `${prefix}${k}.`),
  ]);
}

test('the documented complete file is valid and holds exactly the defaults', () => {
  assert.ok(block.length > 0, 'docs/config.md has the complete file');
  const documented = parseConfig(block, 'docs/config.md', {});
  const defaults = defaultConfig();
  // An empty rules.paths means the bundled rules, which loadConfig resolves to a path.
  assert.deepEqual(documented.rules.paths, []);
  assert.deepEqual({ ...documented, rules: { ...documented.rules, paths: defaults.rules.paths } }, defaults);
});

test('every key of the schema appears in the documented file', () => {
  for (const path of keyPaths(configSchema as unknown as SchemaNode)) {
    const leaf = path.split('.').at(-1);
    assert.match(block, new RegExp(`^\\s*${leaf}:`, 'm'), `${path} is documented`);
  }
});
