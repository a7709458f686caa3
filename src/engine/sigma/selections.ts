/**
 * A Sigma detection's named searches. A map is one AND of field tests; a list of maps is an OR of
 * them; a list of plain values is a keyword search (ORed, or ANDed under a `'|all'` key).
 */
import { pairOf, type YMap, type YNode } from '../../yaml/yaml-tree.js';
import type { Loc } from '../../yaml/source-file.js';
import { SigmaError, SigmaUnsupported } from './document.js';
import { readFieldTest, type FieldTest } from './modifiers.js';

export interface Selection {
  name: string;
  /** OR of groups; each group is an AND of tests. */
  groups: FieldTest[][];
  loc: Loc;
}

const NOT_SEARCHES = new Set(['condition', 'timeframe', 'fields']);

export function readSelections(detection: YMap): Map<string, Selection> {
  const out = new Map<string, Selection>();
  if (pairOf(detection, 'timeframe')) {
    throw new SigmaUnsupported(
      pairOf(detection, 'timeframe')!.key.loc,
      "'timeframe' (correlation over time) is not supported",
    );
  }
  for (const p of detection.pairs) {
    if (NOT_SEARCHES.has(p.keyText)) continue;
    out.set(p.keyText, { name: p.keyText, groups: readSearch(p.value), loc: p.key.loc });
  }
  return out;
}

function readMap(map: YMap): FieldTest[] {
  if (map.pairs.length === 0) throw new SigmaError(map.loc, 'an empty search map');
  return map.pairs.map((p) => readFieldTest(p.keyText, p.key.loc, p.value));
}

function readSearch(node: YNode): FieldTest[][] {
  if (node.kind === 'map') return [readMap(node)];
  if (node.kind === 'scalar') {
    if (node.value === null) throw new SigmaError(node.loc, 'a search must be a map or a list, not empty');
    return [[readFieldTest(null, node.loc, node)]];
  }
  if (node.items.length === 0) throw new SigmaError(node.loc, 'an empty search list');
  if (node.items.every((i) => i.kind === 'map')) return node.items.map((i) => readMap(i as YMap));
  if (node.items.every((i) => i.kind === 'scalar')) return [[readFieldTest(null, node.loc, node)]];
  throw new SigmaError(node.loc, 'a search list must hold only maps or only values');
}
