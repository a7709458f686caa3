/**
 * Positions in rule files: every character of a decoded scalar maps back to
 * the file, whatever the YAML style; Falco's closing-bracket indentation is
 * accepted without shifting any position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { RulesetLoadError } from '../../src/engine/rules/diagnostics.js';
import { SourceFile } from '../../src/yaml/source-file.js';
import { parseYaml, type YNode, type YScalar } from '../../src/yaml/yaml-tree.js';

/** The scalar value of `key` in the first item, and the line:col of each of its characters. */
function scalar(text: string, key: string): { text: string; at: (i: number) => string } {
  const file = new SourceFile('f.yaml', text);
  const root = parseYaml(file) as Extract<YNode, { kind: 'seq' }>;
  const map = root.items[0] as Extract<YNode, { kind: 'map' }>;
  const node = map.pairs.find((p) => p.keyText === key)!.value as YScalar;
  const offsets = node.offsets();
  return {
    text: node.text,
    at: (i) => {
      const p = file.position(offsets[i]);
      return `${p.line}:${p.col}`;
    },
  };
}

describe('scalar positions', () => {
  it('double-quoted: escapes and an escaped line break', () => {
    const s = scalar('- k: "a\\tb\\x41\\u00e9 c\\\n    d"\n', 'k');
    assert.equal(s.text, 'a\tbAé cd');
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(s.at), [
      '1:7',
      '1:8',
      '1:10',
      '1:11',
      '1:15',
      '1:21',
      '1:22',
      '2:5',
    ]);
  });

  it('single-quoted: doubled quotes and a folded line', () => {
    const s = scalar("- k: 'it''s\n    here'\n", 'k');
    assert.equal(s.text, "it's here");
    assert.deepEqual([0, 2, 3, 5].map(s.at), ['1:7', '1:9', '1:11', '2:5']);
  });

  it('folded block: folded lines and a more-indented line', () => {
    const s = scalar('- k: >\n    a and\n    b\n      c\n', 'k');
    assert.equal(s.text, 'a and b\n  c\n');
    assert.deepEqual([0, 6, 10].map(s.at), ['2:5', '3:5', '4:7']);
  });

  it('literal block with CRLF line ends', () => {
    const s = scalar('- k: |\r\n    x\r\n    y\r\n', 'k');
    assert.equal(s.text, 'x\ny\n');
    assert.deepEqual([0, 2].map(s.at), ['2:5', '3:5']);
  });
});

describe("Falco's flow-collection indentation", () => {
  const file = [
    '- list: images',
    '  items: [',
    '    a,',
    '    b',
    '  ]',
    '- rule: R',
    '  desc: d',
    '  condition: evt.type = execve and container.image.repository in (images) and proc.nmae = x',
    '  output: o',
    '  priority: INFO',
  ].join('\n');

  it('a closing bracket at the parent’s indentation is accepted, later positions unchanged', () => {
    try {
      loadRulesetFromSources([{ path: 'f.yaml', text: file }]);
      assert.fail('loaded');
    } catch (err) {
      assert.ok(err instanceof RulesetLoadError);
      assert.equal(err.message, "f.yaml:8:79: rule 'R': unknown field 'proc.nmae'");
    }
    const fixed = file.replace('proc.nmae', 'proc.name');
    const rs = loadRulesetFromSources([{ path: 'f.yaml', text: fixed }]);
    assert.equal(rs.info.rules.length, 1);
  });
});
