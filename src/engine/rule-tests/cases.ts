/**
 * Rule test cases, stored beside the rules as `<name>.tests.yaml` (format in
 * docs/rules.md): each case is one event (a partial VigilEvent merged onto
 * sampleEvent's defaults) and the alerts it must raise, exactly; `alerts: []`
 * is a benign event that must raise none.
 */
import { readFileSync } from 'node:fs';
import type { VigilEvent } from '../../event/types.js';
import { RuleError, RulesetLoadError, type Diagnostic } from '../rules/diagnostics.js';
import { SourceFile } from '../../yaml/source-file.js';
import { parseYaml, pairOf, YamlSyntaxError, type YNode } from '../../yaml/yaml-tree.js';
import { sampleEvent, type DeepPartial } from './sample-event.js';

export interface ExpectedAlert {
  rule: string;
  /** When given, the rendered output must equal it. */
  output?: string;
  /** When given, each of these output_fields must have this value. */
  output_fields?: Record<string, unknown>;
}

export interface RuleTestCase {
  name: string;
  file: string;
  line: number;
  event: VigilEvent;
  alerts: ExpectedAlert[];
}

const CASE_KEYS = new Set(['test', 'event', 'alerts']);
const ALERT_KEYS = new Set(['rule', 'output', 'output_fields']);

export function readTestCases(path: string): RuleTestCase[] {
  const file = new SourceFile(path, readFileSync(path, 'utf8'));
  const errors: Diagnostic[] = [];
  const fail = (node: YNode, message: string): never => {
    throw new RuleError(node.loc, null, message);
  };
  let root: YNode | null;
  try {
    root = parseYaml(file);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    throw new RulesetLoadError([
      new RuleError({ file, offset: err.offset }, null, `YAML syntax error: ${err.reason}`).diagnostic,
    ]);
  }
  if (root === null) return [];
  const cases: RuleTestCase[] = [];
  try {
    if (root.kind !== 'seq') fail(root, 'a test file is a sequence of test cases');
    for (const node of (root as Extract<YNode, { kind: 'seq' }>).items) {
      if (node.kind !== 'map') fail(node, "a test case is a mapping with 'test', 'event' and 'alerts'");
      const map = node as Extract<YNode, { kind: 'map' }>;
      for (const p of map.pairs)
        if (!CASE_KEYS.has(p.keyText)) fail(p.key, `Unknown key '${p.keyText}' in a test case`);
      const name = pairOf(map, 'test')?.value;
      if (!name || name.kind !== 'scalar' || !name.text) fail(map, "a test case needs 'test': its name");
      const event = pairOf(map, 'event')?.value;
      if (!event || event.kind !== 'map') fail(map, "a test case needs 'event': a mapping (a partial event)");
      const alerts = pairOf(map, 'alerts')?.value;
      if (!alerts || alerts.kind !== 'seq') fail(map, "a test case needs 'alerts': a sequence ([] for none)");
      const expected = (alerts as Extract<YNode, { kind: 'seq' }>).items.map((a) => {
        if (a.kind !== 'map') fail(a, "an expected alert is a mapping with 'rule'");
        const am = a as Extract<YNode, { kind: 'map' }>;
        for (const p of am.pairs)
          if (!ALERT_KEYS.has(p.keyText)) fail(p.key, `Unknown key '${p.keyText}' in an alert`);
        const rule = pairOf(am, 'rule')?.value;
        if (!rule || rule.kind !== 'scalar' || !rule.text) fail(am, "an expected alert needs 'rule'");
        const out: ExpectedAlert = { rule: (rule as Extract<YNode, { kind: 'scalar' }>).text };
        const output = pairOf(am, 'output')?.value;
        if (output)
          out.output = output.kind === 'scalar' ? output.text : fail(output, 'output must be a string');
        const fields = pairOf(am, 'output_fields')?.value;
        if (fields) {
          out.output_fields =
            fields.kind === 'map'
              ? (fields.value as Record<string, unknown>)
              : fail(fields, 'output_fields must be a mapping');
        }
        return out;
      });
      const { line } = file.position(map.loc.offset);
      cases.push({
        name: (name as Extract<YNode, { kind: 'scalar' }>).text,
        file: path,
        line,
        event: sampleEvent((event as YNode).value as DeepPartial<VigilEvent>),
        alerts: expected,
      });
    }
  } catch (err) {
    if (!(err instanceof RuleError)) throw err;
    errors.push(err.diagnostic);
  }
  if (errors.length > 0) throw new RulesetLoadError(errors);
  return cases;
}
